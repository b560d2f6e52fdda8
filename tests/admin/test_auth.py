"""Admin keys and scopes: every scope against every endpoint, and tenants kept apart."""
from __future__ import annotations

import json
from typing import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import Tenant
from scim_server import db
from scim_server.models import AdminKey, Organization
from scim_server.services import admin_keys
from scim_server.services.actors import Actor
from tests.admin.conftest import AdminClient, problem

SCOPES = ("org-admin", "user-access-admin", "read-only", "product-service")
ADMIN = {"org-admin"}
READERS = {"org-admin", "user-access-admin", "read-only"}
ACCESS = {"org-admin", "user-access-admin"}
ORG = "/admin/v1/orgs/<org_id>"

# Written by hand from the issue, not derived from the code: who may call what.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", ORG + "/sites"): READERS,
    ("POST", ORG + "/sites"): ADMIN,
    ("GET", ORG + "/sites/<site_id>"): READERS,
    ("PATCH", ORG + "/sites/<site_id>"): ADMIN,
    ("GET", ORG + "/products"): READERS,
    ("POST", ORG + "/products"): ADMIN,
    ("GET", ORG + "/products/<product_id>"): READERS,
    ("PATCH", ORG + "/products/<product_id>"): ADMIN,
    ("GET", ORG + "/products/<product_id>/grants"): READERS,
    ("PUT", ORG + "/products/<product_id>/grants/users/<account_id>"): ACCESS,
    ("DELETE", ORG + "/products/<product_id>/grants/users/<account_id>"): ACCESS,
    ("PUT", ORG + "/products/<product_id>/grants/groups/<group_id>"): ACCESS,
    ("DELETE", ORG + "/products/<product_id>/grants/groups/<group_id>"): ACCESS,
    ("GET", ORG + "/licences"): READERS,
    ("GET", ORG + "/users"): READERS,
    ("GET", ORG + "/users/<account_id>"): READERS,
    ("PATCH", ORG + "/users/<account_id>"): ACCESS,
    ("POST", ORG + "/users/<account_id>/deactivate"): ACCESS,
    ("POST", ORG + "/users/<account_id>/reactivate"): ACCESS,
    ("POST", ORG + "/users/<account_id>/delete"): ACCESS,
    ("POST", ORG + "/users/<account_id>/cancel-delete"): ACCESS,
    ("PUT", ORG + "/users/<account_id>/sites/<site_id>"): ACCESS,
    ("DELETE", ORG + "/users/<account_id>/sites/<site_id>"): ACCESS,
    ("GET", ORG + "/groups"): READERS,
    ("POST", ORG + "/groups"): ACCESS,
    ("GET", ORG + "/groups/<group_id>"): READERS,
    ("PATCH", ORG + "/groups/<group_id>"): ACCESS,
    ("DELETE", ORG + "/groups/<group_id>"): ACCESS,
    ("GET", ORG + "/groups/<group_id>/members"): READERS,
    ("POST", ORG + "/groups/<group_id>/members"): ACCESS,
    ("DELETE", ORG + "/groups/<group_id>/members"): ACCESS,
    ("DELETE", ORG + "/groups/<group_id>/members/<member_id>"): ACCESS,
    ("GET", ORG + "/audit-log"): READERS,
    ("GET", ORG + "/directories"): {"org-admin", "read-only"},
    ("POST", ORG + "/directories"): ADMIN,
    ("GET", ORG + "/directories/<directory_id>"): {"org-admin", "read-only"},
    ("PATCH", ORG + "/directories/<directory_id>"): ADMIN,
    ("GET", ORG + "/directories/<directory_id>/tokens"): {"org-admin", "read-only"},
    ("POST", ORG + "/directories/<directory_id>/tokens"): ADMIN,
    ("DELETE", ORG + "/directories/<directory_id>/tokens/<token_id>"): ADMIN,
    ("GET", ORG + "/directories/<directory_id>/tolerances"): {"org-admin", "read-only"},
    ("GET", ORG + "/directories/<directory_id>/health"): {"org-admin", "read-only"},
    ("GET", ORG + "/directories/<directory_id>/failures"): {"org-admin", "read-only"},
    ("GET", ORG + "/directories/<directory_id>/requests"): {"org-admin", "read-only"},
    ("GET", ORG + "/admin-keys"): {"org-admin", "read-only"},
    ("POST", ORG + "/admin-keys"): ADMIN,
    ("DELETE", ORG + "/admin-keys/<key_id>"): ADMIN,
    # Access requests and inactive users (issue 6).
    ("POST", ORG + "/access-requests"): ACCESS | {"product-service"},
    ("GET", ORG + "/access-requests"): READERS,
    ("GET", ORG + "/access-requests/<request_id>"): READERS,
    ("POST", ORG + "/access-requests/<request_id>/approve"): ACCESS,
    ("POST", ORG + "/access-requests/<request_id>/deny"): ACCESS,
    ("POST", ORG + "/access-requests/<request_id>/reopen"): ACCESS,
    ("GET", ORG + "/access-settings"): READERS,
    ("PATCH", ORG + "/access-settings"): ADMIN,
    ("POST", ORG + "/activity"): {"org-admin", "product-service"},
    ("GET", ORG + "/inactive-users"): READERS,
    ("POST", ORG + "/inactive-users/deactivate"): ACCESS,
    ("GET", ORG + "/domains"): READERS,
    ("POST", ORG + "/domains"): ADMIN,
    ("DELETE", ORG + "/domains/<rule_id>"): ADMIN,
    ("GET", ORG + "/user-interests"): READERS,
    # Invitations and the outbox (issue 5).
    ("POST", ORG + "/invitations"): ACCESS,
    ("GET", ORG + "/invitations"): READERS,
    ("GET", ORG + "/invitations/<invitation_id>"): READERS,
    ("POST", ORG + "/invitations/<invitation_id>/resend"): ACCESS,
    ("POST", ORG + "/invitations/<invitation_id>/revoke"): ACCESS,
    ("POST", ORG + "/users/<account_id>/invite"): ACCESS,
    ("GET", ORG + "/outbox"): READERS,
    ("GET", ORG + "/outbox/<message_id>"): READERS,
    ("POST", ORG + "/outbox/<message_id>/retry"): ACCESS,
}


def admin_routes(app: Flask) -> set[tuple[str, str]]:
    """Every (method, rule) the app serves under an organization's admin base."""
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(ORG) for method in rule.methods or ()
            if method not in ("HEAD", "OPTIONS")}


@pytest.fixture
def scoped_keys(app: Flask, tenant: Tenant) -> dict[str, str]:
    """One key per scope for the tenant's organization."""
    with app.app_context():
        session = db.new_session(app)
        org = session.get(Organization, tenant.org_id)
        keys = {scope: admin_keys.issue_admin_key(session, org, [scope], Actor.cli()).secret
                for scope in SCOPES}
        session.commit()
        session.close()
    return keys


def test_the_table_covers_every_admin_endpoint(app: Flask) -> None:
    # Endpoints added later (invitations, activity, ...) must be added to EXPECTED too.
    assert admin_routes(app) - set(EXPECTED) == set()


@pytest.mark.parametrize("scope", SCOPES)
def test_every_scope_against_every_endpoint(app: Flask, client: FlaskClient, tenant: Tenant,
                                            scoped_keys: dict[str, str], scope: str) -> None:
    headers = {"Authorization": f"Bearer {scoped_keys[scope]}"}
    for (method, rule), allowed in sorted(EXPECTED.items()):
        if (method, rule) not in admin_routes(app):
            continue
        url = rule.replace("<org_id>", tenant.org_id)
        for name in ("site_id", "product_id", "account_id", "group_id", "member_id",
                     "directory_id", "token_id", "key_id", "invitation_id", "message_id"):
            url = url.replace(f"<{name}>", f"unknown-{name}")
        response = client.open(url, method=method, headers=headers, data="{}",
                               content_type="application/json")
        where = f"{method} {rule} with {scope}: {response.get_data(as_text=True)[:300]}"
        assert response.status_code < 500, where
        assert response.status_code != 401, where
        if scope in allowed:
            assert response.status_code != 403, where
        else:
            body = problem(response, 403)
            assert body["type"].endswith("/insufficient-scope"), where
            assert scope in body["detail"], where


def test_a_missing_bad_or_revoked_key_is_401(app: Flask, admin: AdminClient,
                                             tenant: Tenant) -> None:
    anonymous = admin.client.get(tenant.admin_base + "/users")
    assert problem(anonymous, 401) and "Bearer" in anonymous.headers["WWW-Authenticate"]
    problem(admin.with_key("scimsrv_ak_not-a-real-key").get("/users"), 401)
    problem(admin.with_key(tenant.scim_token).get("/users"), 401)
    listed = admin.get("/admin-keys").get_json()["data"]
    assert listed[0]["hint"].startswith("scimsrv_ak_")
    assert "admin_key" not in listed[0] and tenant.admin_key not in json.dumps(listed)
    issued = admin.post("/admin-keys", json={"scopes": ["read-only"], "name": "ci",
                                             "expires_in_days": 30})
    assert issued.status_code == 201
    secret = issued.get_json()["admin_key"]
    assert admin.with_key(secret).get("/users").status_code == 200
    assert admin.delete(f"/admin-keys/{issued.get_json()['id']}").status_code == 204
    assert admin.delete(f"/admin-keys/{issued.get_json()['id']}").status_code == 204
    problem(admin.with_key(secret).get("/users"), 401)
    with app.app_context():
        session = db.new_session(app)
        stored = session.get(AdminKey, issued.get_json()["id"])
        assert stored is not None and secret not in (stored.key_hash, stored.hint)
        session.close()


def test_unknown_scopes_are_refused(admin: AdminClient) -> None:
    body = problem(admin.post("/admin-keys", json={"scopes": ["root"]}), 422)
    assert "scopes" in body["errors"]
    problem(admin.post("/admin-keys", json={"scopes": []}), 422)


def test_another_organizations_data_is_404_and_leaks_nothing(
        make_tenant: Callable[..., Tenant], make_admin_client: Callable[..., AdminClient],
        make_account: Callable[..., str], app: Flask) -> None:
    mine, theirs = make_tenant("Mine"), make_tenant("Theirs")
    me, them = make_admin_client(mine), make_admin_client(theirs)
    their_site = them.get("/sites").get_json()["data"][0]["id"]
    their_product = them.post("/products", json={"site_id": their_site, "key": "secret",
                                                 "name": "Secret Project"}).get_json()
    their_user = make_account("ceo@theirs.test", org_id=theirs.org_id)
    their_group = them.post("/groups", json={"name": "Board"}).get_json()["id"]
    # Their organization's URL with my key.
    for method, rule in sorted(admin_routes(app)):
        url = rule.replace("<org_id>", theirs.org_id)
        for name, value in (("site_id", their_site), ("product_id", their_product["id"]),
                            ("account_id", their_user), ("group_id", their_group),
                            ("member_id", their_user), ("directory_id", theirs.directory_id),
                            ("token_id", "x"), ("key_id", "x")):
            url = url.replace(f"<{name}>", value)
        response = me.call(method, url, json={"role": "user"})
        body = problem(response, 404)
        assert "Secret" not in json.dumps(body) and "ceo@" not in json.dumps(body)
    # My organization's URL with their ids.
    my_site = me.get("/sites").get_json()["data"][0]["id"]
    problem(me.get(f"/products/{their_product['id']}"), 404)
    problem(me.get(f"/users/{their_user}"), 404)
    problem(me.get(f"/groups/{their_group}"), 404)
    problem(me.get(f"/sites/{their_site}"), 404)
    problem(me.get(f"/directories/{theirs.directory_id}"), 404)
    problem(me.put(f"/products/{their_product['id']}/grants/users/{their_user}",
                   json={"role": "user"}), 404)
    problem(me.post(f"/users/{their_user}/deactivate"), 404)
    problem(me.post(f"/groups/{their_group}/members", json={"account_id": their_user}), 404)
    problem(me.post("/products", json={"site_id": their_site, "key": "k", "name": "n"}), 404)
    mine_product = me.post("/products", json={"site_id": my_site, "key": "mine",
                                              "name": "Mine"}).get_json()
    problem(me.put(f"/products/{mine_product['id']}/grants/users/{their_user}",
                   json={"role": "user"}), 404)
    problem(me.put(f"/products/{mine_product['id']}/grants/groups/{their_group}",
                   json={"role": "user"}), 404)
    everything = json.dumps([me.get(p).get_json() for p in (
        "/users", "/groups", "/products", "/sites", "/licences", "/audit-log", "/directories")])
    for secret in (their_product["id"], their_user, their_group, theirs.directory_id,
                   "Secret Project", "ceo@theirs.test"):
        assert secret not in everything
    assert them.get(f"/users/{their_user}").get_json()["status"] == "active"
