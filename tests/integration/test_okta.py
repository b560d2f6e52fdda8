"""Okta, replayed: the requests of its SCIM 2.0 provisioning, in order.

Written from Okta's public "SCIM 2.0 protocol reference" and "Build a SCIM provisioning
integration" guides: the connection test (`GET /Users?startIndex=1&count=2`), a lookup
by userName before each create, a create carrying `password`, updates sent as a whole
PUT (echoing `id`, `meta` and `groups`), deactivation and reactivation as a PATCH of
`active`, and group push (rename echoing `id`, member adds and removes in one request,
`replace members []`, PUT of the whole group). Bodies are `application/json`, as Okta
sends them.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from scim_server.models import DirectoryUser

from .replay import GROUP, LIST_RESPONSE, USER, expect, expect_error, patch_body, tolerance_counts


@pytest.fixture
def acme(make_tenant):
    return make_tenant("Acme", idp="okta")


class Okta:
    """Sends what Okta sends: JSON bodies as `application/json`."""

    def __init__(self, scim):
        self.scim = scim

    def __getattr__(self, method):
        call = getattr(self.scim, method)

        def send(path, json_body=None, **kwargs):
            if json_body is not None:
                kwargs.update(data=json.dumps(json_body), content_type="application/json")
            return call(path, **kwargs)
        return send


@pytest.fixture
def okta(acme, make_scim_client):
    return Okta(make_scim_client(acme))


def okta_user(user_name: str, given: str = "Test", **extra):
    body = {
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": given, "familyName": "User"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"{given} User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    body.update(extra)
    return body


def provision(okta, user_name: str) -> dict:
    """Okta's create: look the userName up first, then POST."""
    found = expect(okta.get("/Users", query_string={"filter": f'userName eq "{user_name}"',
                                                    "startIndex": 1, "count": 100}), 200)
    assert found["totalResults"] == 0 and found["Resources"] == []
    return expect(okta.post("/Users", okta_user(user_name)), 201)


def test_connection_test(okta, client, acme):
    body = expect(okta.get("/Users", query_string={"startIndex": 1, "count": 2}), 200)
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["startIndex"] == 1 and body["itemsPerPage"] == 0 and body["totalResults"] == 0
    assert expect(okta.get("/Groups", query_string={"startIndex": 1, "count": 100}),
                  200)["totalResults"] == 0
    assert tolerance_counts(client, acme) == {}


def test_user_lifecycle(okta, client, acme, db_session):
    created = provision(okta, "test.user@okta.local")
    uid = created["id"]
    assert "password" not in created and created["active"] is True
    db_session.rollback()
    assert db_session.scalar(select(DirectoryUser.password_hash)
                             .where(DirectoryUser.id == uid)), "the password is kept, hashed"
    fetched = expect(okta.get(f"/Users/{uid}"), 200)
    assert fetched == created

    sent = dict(fetched, name={"givenName": "Another", "familyName": "User"})
    replaced = expect(okta.put(f"/Users/{uid}", sent), 200)
    assert replaced["id"] == uid and replaced["name"]["givenName"] == "Another"
    assert replaced["meta"]["version"] == 'W/"2"' and replaced["groups"] == []

    deactivated = expect(okta.patch(f"/Users/{uid}", patch_body(
        {"op": "replace", "value": {"active": False}})), 200)
    assert deactivated["active"] is False
    reactivated = expect(okta.patch(f"/Users/{uid}", patch_body(
        {"op": "replace", "value": {"active": True}})), 200)
    assert reactivated["active"] is True

    # Integrations built on PUT deactivate with a whole user whose active is false.
    put_off = expect(okta.put(f"/Users/{uid}", dict(reactivated, active=False)), 200)
    assert put_off["active"] is False
    with_password = dict(put_off, active=True, password="n3w-pa55")
    password = expect(okta.put(f"/Users/{uid}", with_password), 200)
    assert password["active"] is True and "password" not in password
    assert tolerance_counts(client, acme) == {}, "Okta's user requests are plain RFC 7644"


def test_group_push(okta, client, acme):
    ids = [provision(okta, f"member{n}@okta.local")["id"] for n in range(3)]
    group = expect(okta.post("/Groups", {"schemas": [GROUP], "displayName": "Test SCIMv2",
                                         "members": []}), 201)
    gid, path = group["id"], f"/Groups/{group['id']}"
    assert expect(okta.get(path), 200)["members"] == []

    expect(okta.patch(path, patch_body({"op": "replace", "value": {
        "id": gid, "displayName": "Test SCIMv2 renamed"}})), 204)
    assert expect(okta.get(path), 200)["displayName"] == "Test SCIMv2 renamed"

    expect(okta.patch(path, patch_body({"op": "add", "path": "members", "value": [
        {"value": ids[0], "display": "member0@okta.local"},
        {"value": ids[1], "display": "member1@okta.local"}]})), 204)
    expect(okta.patch(path, patch_body(
        {"op": "remove", "path": f'members[value eq "{ids[0]}"]'},
        {"op": "add", "path": "members",
         "value": [{"value": ids[2], "display": "member2@okta.local"}]})), 204)
    assert {m["value"] for m in expect(okta.get(path), 200)["members"]} == {ids[1], ids[2]}

    expect(okta.patch(path, patch_body({"op": "replace", "path": "members", "value": []})), 204)
    assert expect(okta.get(path), 200)["members"] == []

    whole = expect(okta.get(path), 200)
    whole["members"] = [{"value": ids[1], "display": "member1@okta.local"}]
    replaced = expect(okta.put(path, whole), 200)
    assert [m["value"] for m in replaced["members"]] == [ids[1]]

    expect(okta.delete(path), 204)
    expect_error(okta.get(path), 404)
    assert tolerance_counts(client, acme) == {"readonly_echo": 1, "empty_members_replace": 1}


def test_rename_echoing_another_id_is_refused(okta, client, acme):
    group = expect(okta.post("/Groups", {"schemas": [GROUP], "displayName": "Mine"}), 201)
    other = expect(okta.post("/Groups", {"schemas": [GROUP], "displayName": "Other"}), 201)
    response = okta.patch(f"/Groups/{group['id']}", patch_body({"op": "replace", "value": {
        "id": other["id"], "displayName": "Hijack"}}))
    expect_error(response, 400, "mutability")
    assert expect(okta.get(f"/Groups/{group['id']}"), 200)["displayName"] == "Mine"
    assert tolerance_counts(client, acme) == {}


def test_okta_workarounds_stay_strict_under_generic(make_tenant, make_scim_client, client):
    """An echoed id is refused for generic; `replace members []` is harmless everywhere."""
    tenant = make_tenant("Generic", idp="generic")
    scim = Okta(make_scim_client(tenant))
    group = expect(scim.post("/Groups", {"schemas": [GROUP], "displayName": "G"}), 201)
    path = f"/Groups/{group['id']}"
    expect_error(scim.patch(path, patch_body({"op": "replace", "value": {
        "id": group["id"], "displayName": "Renamed"}})), 400, "mutability")
    assert expect(scim.get(path), 200)["displayName"] == "G"
    expect(scim.patch(path, patch_body({"op": "replace", "path": "members", "value": []})), 204)
    assert tolerance_counts(client, tenant) == {"empty_members_replace": 1}
