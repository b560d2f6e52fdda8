"""End to end: a user the identity provider pushes over SCIM, as the admin API sees it.

Pushed with no product access and `invitation_not_sent`; gains access when an admin
grants a product to a synced group the user belongs to; loses it when the identity
provider removes the user from that group; the licence count follows every step.
"""
from __future__ import annotations

import gc
from importlib.util import find_spec
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import ScimClient
from scim_server import db
from scim_server.models import OutboxMessage
from tests.admin.conftest import AdminClient

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def seats(admin: AdminClient, product_id: str) -> int:
    rows = admin.get("/licences").get_json()["data"]
    return int(next(r["used"] for r in rows if r["product_id"] == product_id))


def done(response: Any) -> tuple[int, Any]:
    """Status and body of a SCIM response, which is then dropped.

    A streamed SCIM body keeps its request's session until the response is freed, as a
    WSGI server frees it after sending; here the test lets go of it explicitly.
    """
    status, body = response.status_code, response.get_json(silent=True)
    response.close()
    del response
    gc.collect()
    return status, body


def patch_members(scim: ScimClient, group_id: str, op: str, user_id: str) -> Any:
    operation: dict[str, Any] = ({"op": "add", "path": "members", "value": [{"value": user_id}]}
                                 if op == "add" else
                                 {"op": "remove", "path": f'members[value eq "{user_id}"]'})
    status, body = done(scim.patch(f"/Groups/{group_id}", json={"schemas": [PATCH],
                                                                "Operations": [operation]}))
    assert status in (200, 204), body
    return body


@pytest.mark.skipif(find_spec("scim_server.scim.groups") is None,
                    reason="the SCIM /Groups route has not landed yet")
def test_scim_pushed_user_gains_and_loses_access_through_a_synced_group(
        app: Flask, scim: ScimClient, admin: AdminClient, site_id: str) -> None:
    status, pushed = done(scim.post("/Users", json={
        "schemas": [USER], "userName": "pat@acme.test", "externalId": "idp-pat",
        "name": {"givenName": "Pat", "familyName": "Lee"}, "displayName": "Pat Lee",
        "emails": [{"value": "pat@acme.test", "type": "work", "primary": True}],
        "active": True}))
    assert status == 201, pushed
    pat = pushed["id"]
    product = admin.post("/products", json={"site_id": site_id, "key": "jira", "name": "Jira",
                                            "seat_limit": 10}).get_json()

    account = admin.get(f"/users/{pat}").get_json()
    assert (account["source"], account["status"]) == ("synced", "active")
    assert account["directory_id"] == scim.tenant.directory_id
    assert account["product_access"] == []
    assert account["invitation_status"] == "invitation_not_sent"
    assert seats(admin, product["id"]) == 0

    status, group = done(scim.post("/Groups", json={
        "schemas": [GROUP], "displayName": "Engineering", "members": [{"value": pat}]}))
    assert status == 201, group
    group_id = group["id"]
    listed = admin.get(f"/groups/{group_id}").get_json()
    assert (listed["source"], listed["member_count"]) == ("synced", 1)
    assert admin.get(f"/users/{pat}").get_json()["product_access"] == []  # membership alone

    granted = admin.put(f"/products/{product['id']}/grants/groups/{group_id}",
                        json={"role": "user"})
    assert granted.status_code == 201
    access = admin.get(f"/users/{pat}").get_json()["product_access"]
    assert [(a["product_id"], a["role"]) for a in access] == [(product["id"], "user")]
    assert access[0]["routes"] == [{"type": "group", "role": "user",
                                    "grant_id": granted.get_json()["id"], "group_id": group_id,
                                    "group_name": "Engineering", "nested": False}]
    assert seats(admin, product["id"]) == 1

    patch_members(scim, group_id, "remove", pat)
    assert admin.get(f"/users/{pat}").get_json()["product_access"] == []
    assert seats(admin, product["id"]) == 0

    patch_members(scim, group_id, "add", pat)
    assert seats(admin, product["id"]) == 1
    status, _body = done(scim.patch(f"/Users/{pat}", json={"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "active", "value": False}]}))
    assert status in (200, 204)
    assert admin.get(f"/users/{pat}").get_json()["status"] == "deactivated"
    assert seats(admin, product["id"]) == 0

    with app.app_context():
        session = db.new_session(app)
        assert session.scalars(select(OutboxMessage).where(
            OutboxMessage.to == "pat@acme.test")).all() == []  # no invite email, ever
        session.close()
