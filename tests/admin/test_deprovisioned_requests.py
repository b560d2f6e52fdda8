"""An account its identity provider deprovisioned cannot come back through a request.

RFC 7644 §3.6 (DELETE) and RFC 7643 §4.1.1 (`active`) put the identity provider in charge
of whether a synced person exists and is active. Filing a request for such an account
and approving one are refused with a problem that names the directory; the identity
provider bringing the person back lifts the refusal.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask

from conftest import ScimClient, Tenant
from scim_server import db
from scim_server.models import AccessRequest, Account, Directory
from tests.admin.conftest import AdminClient, problem

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def provision(scim: ScimClient, email: str) -> str:
    created = scim.post("/Users", json={"schemas": [CORE], "userName": email, "active": True,
                                        "emails": [{"value": email, "primary": True}]})
    assert created.status_code == 201, created.get_json()
    return str(created.get_json()["id"])


def set_active(scim: ScimClient, user_id: str, active: bool) -> None:
    patched = scim.patch(f"/Users/{user_id}", json={
        "schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": active}]})
    assert patched.status_code in (200, 204), patched.get_json()


def account(app: Flask, account_id: str) -> Account:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = session.get_one(Account, account_id)
        session.expunge(found)
        session.close()
    return found


def request_status(app: Flask, request_id: str) -> str:
    with app.app_context():
        session = db.new_session(app, writes=False)
        status = session.get_one(AccessRequest, request_id).status
        session.close()
    return status


@pytest.fixture
def jira(make_product: Callable[..., dict[str, Any]]) -> str:
    return str(make_product("jira", "Jira")["id"])


@pytest.mark.parametrize("how", ["delete", "inactive"])
def test_approval_cannot_bring_back_a_deprovisioned_account(
        app: Flask, admin: AdminClient, scim: ScimClient, jira: str, how: str) -> None:
    person = provision(scim, "gone@acme.test")
    filed = admin.post("/access-requests", json={"product_id": jira, "account_id": person})
    assert filed.status_code == 201, filed.get_json()
    request_id = filed.get_json()["id"]
    if how == "delete":
        assert scim.delete(f"/Users/{person}").status_code == 204
    else:
        set_active(scim, person, False)
    assert account(app, person).status == "deactivated"

    refused = problem(admin.post(f"/access-requests/{request_id}/approve", json={}), 409)
    assert refused["type"] == "/admin/v1/problems/deprovisioned-by-identity-provider"
    assert refused["title"] == "Deprovisioned by the identity provider"
    assert "'Acme directory'" in refused["detail"] and "identity provider" in refused["detail"]
    assert refused["directory_name"] == "Acme directory"
    assert refused["account_id"] == person
    assert account(app, person).status == "deactivated"  # nothing came back
    assert request_status(app, request_id) == "pending"

    again = problem(admin.post("/access-requests", json={"product_id": jira,
                                                         "account_id": person}), 409)
    assert again["type"].endswith("/deprovisioned-by-identity-provider")


def test_the_identity_provider_bringing_them_back_lifts_the_refusal(
        app: Flask, admin: AdminClient, scim: ScimClient, jira: str) -> None:
    person = provision(scim, "back@acme.test")
    set_active(scim, person, False)
    problem(admin.post("/access-requests", json={"product_id": jira, "account_id": person}), 409)
    set_active(scim, person, True)
    filed = admin.post("/access-requests", json={"product_id": jira, "account_id": person})
    assert filed.status_code == 201, filed.get_json()
    approved = admin.post(f"/access-requests/{filed.get_json()['id']}/approve", json={})
    assert approved.status_code == 200, approved.get_json()


def test_an_admin_deactivation_of_a_synced_account_is_no_deprovisioning(
        app: Flask, admin: AdminClient, scim: ScimClient, jira: str) -> None:
    """Story (c): the admin deactivated the inactive person; approving brings them back."""
    person = provision(scim, "sleepy@acme.test")
    assert admin.post(f"/users/{person}/deactivate", json={}).status_code == 200
    filed = admin.post("/access-requests", json={"product_id": jira, "account_id": person})
    assert filed.status_code == 201, filed.get_json()
    approved = admin.post(f"/access-requests/{filed.get_json()['id']}/approve", json={})
    assert approved.status_code == 200, approved.get_json()
    assert account(app, person).status == "active"


def test_deleting_the_directory_ends_its_control(
        app: Flask, admin: AdminClient, scim: ScimClient, jira: str, tenant: Tenant,
        make_tenant: Callable[..., Tenant]) -> None:
    person = provision(scim, "moved@acme.test")
    assert scim.delete(f"/Users/{person}").status_code == 204
    with app.app_context():
        session = db.new_session(app)
        session.delete(session.get_one(Directory, tenant.directory_id))
        session.commit()
        session.close()
    filed = admin.post("/access-requests", json={"product_id": jira, "account_id": person})
    assert filed.status_code == 201, filed.get_json()
