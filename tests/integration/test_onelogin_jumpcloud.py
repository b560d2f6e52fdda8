"""OneLogin and JumpCloud, replayed where they differ from Entra and Okta.

Written from OneLogin's "SCIM provisioning" developer notes and JumpCloud's "Configure
SCIM provisioning for custom applications" guide. JumpCloud tests a connection by
creating a throw-away user and deleting it again, and speaks plain RFC 7644 with
lower-case ops; OneLogin sends lower-case ops too, booleans as strings, and removes group
members by listing them in the value, as Entra does. A PATCH whose array key arrives as
`operations` is served on every profile, and counted.
"""
from __future__ import annotations

import uuid

import pytest

from .replay import GROUP, USER, expect, expect_error, patch_body, tolerance_counts


def user_body(user_name: str, **extra):
    body = {"schemas": [USER], "userName": user_name, "active": True,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"value": user_name, "type": "work", "primary": True}]}
    body.update(extra)
    return body


@pytest.fixture
def jumpcloud_tenant(make_tenant):
    return make_tenant("Initech", idp="jumpcloud")


@pytest.fixture
def jumpcloud(jumpcloud_tenant, make_scim_client):
    return make_scim_client(jumpcloud_tenant)


@pytest.fixture
def onelogin_tenant(make_tenant):
    return make_tenant("Globex", idp="onelogin")


@pytest.fixture
def onelogin(onelogin_tenant, make_scim_client):
    return make_scim_client(onelogin_tenant)


def test_jumpcloud_connection_test_creates_and_deletes_a_test_user(jumpcloud, client,
                                                                   jumpcloud_tenant):
    name = f"jctest-{uuid.uuid4()}@example.com"
    created = expect(jumpcloud.post("/Users", json=user_body(name)), 201)
    expect(jumpcloud.delete(f"/Users/{created['id']}"), 204)
    found = expect(jumpcloud.get("/Users", query_string={"filter": f'userName eq "{name}"'}), 200)
    assert found["totalResults"] == 0
    again = expect(jumpcloud.post("/Users", json=user_body(name)), 201)
    assert again["id"] == created["id"], "the same email links the same account again"
    expect(jumpcloud.delete(f"/Users/{again['id']}"), 204)
    assert tolerance_counts(client, jumpcloud_tenant) == {}


def test_jumpcloud_user_and_group_lifecycle(jumpcloud, client, jumpcloud_tenant):
    ids = [expect(jumpcloud.post("/Users", json=user_body(f"u{n}@initech.example")), 201)["id"]
           for n in range(2)]
    path = f"/Users/{ids[0]}"
    assert expect(jumpcloud.patch(path, json=patch_body(
        {"op": "replace", "path": "name.givenName", "value": "Peter"})), 200)["name"] \
        == {"givenName": "Peter", "familyName": "User"}
    assert expect(jumpcloud.patch(path, json=patch_body(
        {"op": "replace", "path": "active", "value": False})), 200)["active"] is False
    assert expect(jumpcloud.patch(path, json=patch_body(
        {"op": "replace", "path": "active", "value": True})), 200)["active"] is True

    group = expect(jumpcloud.post("/Groups", json={"schemas": [GROUP],
                                                   "displayName": "Engineering"}), 201)
    gpath = f"/Groups/{group['id']}"
    expect(jumpcloud.patch(gpath, json=patch_body(
        {"op": "add", "path": "members", "value": [{"value": i} for i in ids]})), 204)
    expect(jumpcloud.patch(gpath, json=patch_body(
        {"op": "remove", "path": f'members[value eq "{ids[0]}"]'})), 204)
    assert [m["value"] for m in expect(jumpcloud.get(gpath), 200)["members"]] == [ids[1]]
    expect(jumpcloud.delete(gpath), 204)
    assert tolerance_counts(client, jumpcloud_tenant) == {}


def test_jumpcloud_gets_no_entra_workaround(jumpcloud, client, jumpcloud_tenant):
    uid = expect(jumpcloud.post("/Users", json=user_body("strict@initech.example")), 201)["id"]
    group = expect(jumpcloud.post("/Groups", json={"schemas": [GROUP], "displayName": "G",
                                                   "members": [{"value": uid}]}), 201)
    expect_error(jumpcloud.patch(f"/Groups/{group['id']}", json=patch_body(
        {"op": "remove", "path": "members", "value": [{"value": uid}]})), 400, "invalidValue")
    expect_error(jumpcloud.patch(f"/Users/{uid}", json=patch_body(
        {"op": "replace", "path": "active", "value": "false"})), 400, "invalidValue")
    assert tolerance_counts(client, jumpcloud_tenant) == {}


def test_onelogin_users_with_string_booleans(onelogin, client, onelogin_tenant):
    body = user_body("ann@globex.example", active="true")
    created = expect(onelogin.post("/Users", json=body), 201)
    assert created["active"] is True
    path = f"/Users/{created['id']}"
    assert expect(onelogin.patch(path, json=patch_body(
        {"op": "replace", "path": "active", "value": "false"})), 200)["active"] is False
    assert expect(onelogin.patch(path, json=patch_body(
        {"op": "replace", "value": {"active": "true", "title": "Lead"}})), 200)["active"] is True
    expect(onelogin.delete(path), 204)
    assert tolerance_counts(client, onelogin_tenant) == {"string_booleans": 3}


def test_onelogin_removes_members_by_value(onelogin, client, onelogin_tenant):
    ids = [expect(onelogin.post("/Users", json=user_body(f"m{n}@globex.example")), 201)["id"]
           for n in range(3)]
    group = expect(onelogin.post("/Groups", json={"schemas": [GROUP], "displayName": "Sales",
                                                  "members": [{"value": i} for i in ids]}), 201)
    path = f"/Groups/{group['id']}"
    expect(onelogin.patch(path, json=patch_body(
        {"op": "remove", "path": "members", "value": [{"value": ids[0]}, {"value": ids[2]}]})),
        204)
    assert [m["value"] for m in expect(onelogin.get(path), 200)["members"]] == [ids[1]]
    expect(onelogin.patch(path, json=patch_body(
        {"op": "remove", "path": "members", "value": [{"value": ids[0]}]})), 204)
    assert [m["value"] for m in expect(onelogin.get(path), 200)["members"]] == [ids[1]], \
        "removing an absent member is a no-op"
    assert tolerance_counts(client, onelogin_tenant) == {"remove_value_selects": 2}


@pytest.mark.parametrize("idp", ["generic", "okta", "onelogin", "jumpcloud", "entra", "google"])
def test_operations_key_in_lower_case_is_served_everywhere(idp, make_tenant, make_scim_client,
                                                           client):
    tenant = make_tenant(f"T-{idp}", idp=idp)
    scim = make_scim_client(tenant)
    uid = expect(scim.post("/Users", json=user_body(f"ops@{idp}.example")), 201)["id"]
    updated = expect(scim.patch(f"/Users/{uid}", json=patch_body(
        {"op": "replace", "path": "title", "value": "Lead"}, key="operations")), 200)
    assert updated["title"] == "Lead"
    assert tolerance_counts(client, tenant) == {"operations_key": 1}
