"""Microsoft Entra ID, replayed: the requests its provisioning service sends, in order.

Written from Microsoft's public documentation: "Tutorial: Develop and plan provisioning
for a SCIM endpoint in Microsoft Entra ID" (the request/response examples for users and
groups) and "Known issues and resolutions with SCIM 2.0 protocol compliance of the
Microsoft Entra user provisioning service" (the long-standing behaviour and the one
behind the `aadOptscim062020` feature flag). Entra's quirks are served under the `entra`
profile; each use is counted and shown to admins, and the profile-bound ones stay
refused under `generic`.
"""
from __future__ import annotations

import uuid

import pytest

from .replay import (ENTERPRISE, GROUP, LIST_RESPONSE, USER, expect, expect_error, patch_body,
                     tolerance_counts, tolerances)

MS_GROUP_SCHEMA = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
MANAGER = f"{ENTERPRISE}:manager"


@pytest.fixture
def contoso(make_tenant):
    return make_tenant("Contoso", idp="entra")


@pytest.fixture
def entra(contoso, make_scim_client):
    return make_scim_client(contoso)


def entra_user(user_name: str, **extra):
    """The create-user body of Microsoft's examples (roles [], meta, enterprise schema)."""
    body = {
        "schemas": [USER, ENTERPRISE],
        "externalId": str(uuid.uuid4()),
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": f"{user_name}@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName",
                 "givenName": "givenName"},
        "roles": [],
    }
    body.update(extra)
    return body


def create_user(entra, user_name: str, **extra) -> dict:
    """Entra looks a user up by userName first, then creates it."""
    found = expect(entra.get("/Users", query_string={"filter": f'userName eq "{user_name}"'}),
                   200)
    assert found["totalResults"] == 0
    return expect(entra.post("/Users", json=entra_user(user_name, **extra)), 201)


def admin_status(client, tenant, account_id: str) -> str:
    response = client.get(f"{tenant.admin_base}/users/{account_id}",
                          headers=tenant.admin_headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["status"]


def test_connection_test_queries_a_random_user_name(entra, client, contoso):
    """Test Connection: a filter on a fresh GUID must answer 200 with an empty list."""
    body = expect(entra.get("/Users", query_string={
        "filter": f'userName eq "{uuid.uuid4()}"'}), 200)
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == 0 and body["Resources"] == []
    groups = expect(entra.get("/Groups", query_string={
        "excludedAttributes": "members", "filter": f'displayName eq "{uuid.uuid4()}"'}), 200)
    assert groups["totalResults"] == 0
    assert tolerance_counts(client, contoso) == {}


def test_user_lifecycle_long_standing_behaviour(entra, client, contoso):
    """Capitalised ops, booleans as strings, filtered adds that create, a bare manager id."""
    boss = create_user(entra, "Test_User_boss")
    user = create_user(entra, "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1")
    uid = user["id"]
    assert expect(entra.get(f"/Users/{uid}"), 200)["userName"] == user["userName"]
    path = f"/Users/{uid}"

    updated = expect(entra.patch(path, json=patch_body(
        {"op": "Replace", "path": 'emails[type eq "work"].value',
         "value": "updatedEmail@microsoft.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"})), 200)
    assert updated["emails"] == [{"primary": True, "type": "work",
                                  "value": "updatedEmail@microsoft.com"}]
    assert updated["name"]["familyName"] == "updatedFamilyName"

    updated = expect(entra.patch(path, json=patch_body(
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0100"})),
        200)
    assert updated["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]

    updated = expect(entra.patch(path, json=patch_body(
        {"op": "Add", "path": MANAGER, "value": boss["id"]})), 200)
    assert updated[ENTERPRISE]["manager"]["value"] == boss["id"]

    deactivate = entra.patch(path, json=patch_body(
        {"op": "Replace", "path": "active", "value": "False"}),
        headers={"X-Request-Id": "entra-deactivate"})
    assert expect(deactivate, 200)["active"] is False
    assert admin_status(client, contoso, uid) == "deactivated"

    reactivate = entra.patch(path, json=patch_body(
        {"op": "Replace", "path": "active", "value": "True"}),
        headers={"X-Request-Id": "entra-reactivate"})
    assert expect(reactivate, 200)["active"] is True
    assert admin_status(client, contoso, uid) == "active"

    expect(entra.delete(path), 204)
    expect_error(entra.get(path), 404)
    assert admin_status(client, contoso, uid) == "deactivated", "unlinked, never erased"

    assert tolerance_counts(client, contoso) == {
        "op_case": 6, "create_on_filter": 1, "manager_shapes": 1, "string_booleans": 2}
    rows = tolerances(client, contoso)
    assert rows["string_booleans"]["last_request_id"] == "entra-reactivate"
    assert rows["op_case"]["last_request_id"] == "entra-reactivate"
    assert rows["manager_shapes"]["last_fired_at"]


def test_user_updates_under_aadoptscim062020(entra, client, contoso):
    """The flag's behaviour: lower-case ops, one path-less replace with attribute paths."""
    boss = create_user(entra, "Test_User_manager")
    user = create_user(entra, "Test_User_flagged", **{ENTERPRISE: {"employeeNumber": "1"}})
    path = f"/Users/{user['id']}"
    updated = expect(entra.patch(path, json=patch_body({"op": "replace", "value": {
        "displayName": "Pvlo",
        'emails[type eq "work"].value': "TestBcwqnm@test.microsoft.com",
        "name.givenName": "Gtfd",
        "name.familyName": "Pkqf",
        "externalId": "Eqpj",
        f"{ENTERPRISE}:employeeNumber": "Eqpj",
    }})), 200)
    assert updated["displayName"] == "Pvlo" and updated["externalId"] == "Eqpj"
    assert updated["name"]["givenName"] == "Gtfd" and updated["name"]["familyName"] == "Pkqf"
    assert updated["emails"][0]["value"] == "TestBcwqnm@test.microsoft.com"
    assert updated[ENTERPRISE]["employeeNumber"] == "Eqpj"

    updated = expect(entra.patch(path, json=patch_body(
        {"op": "replace", "path": MANAGER, "value": [{"value": boss["id"]}]})), 200)
    assert updated[ENTERPRISE]["manager"]["value"] == boss["id"]

    assert expect(entra.patch(path, json=patch_body(
        {"op": "replace", "path": "active", "value": False})), 200)["active"] is False
    assert expect(entra.patch(path, json=patch_body(
        {"op": "replace", "path": "active", "value": True})), 200)["active"] is True
    expect(entra.delete(path), 204)
    assert tolerance_counts(client, contoso) == {"attribute_path_keys": 4, "manager_shapes": 1}


def test_group_push_and_membership_changes(entra, client, contoso):
    """Groups: Microsoft's extra schema URN, reads without members, both removal styles."""
    users = [create_user(entra, f"Test_User_member_{n}")["id"] for n in range(3)]
    listed = expect(entra.get("/Groups", query_string={
        "excludedAttributes": "members", "filter": 'displayName eq "displayName"'}), 200)
    assert listed["totalResults"] == 0
    group = expect(entra.post("/Groups", json={
        "schemas": [GROUP, MS_GROUP_SCHEMA],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
    }), 201)
    gid = group["id"]
    path = f"/Groups/{gid}"
    assert group["schemas"] == [GROUP] and group["members"] == []

    expect(entra.patch(path, json=patch_body({"op": "Add", "path": "members", "value": [
        {"$ref": None, "value": users[0]}, {"$ref": None, "value": users[1]},
        {"$ref": None, "value": users[2]}]})), 204)
    read = expect(entra.get(path, query_string={"excludedAttributes": "members"}), 200)
    assert "members" not in read and read["displayName"] == "displayName"
    listed = expect(entra.get("/Groups", query_string={
        "excludedAttributes": "members", "filter": 'displayName eq "displayName"'}), 200)
    assert listed["totalResults"] == 1 and "members" not in listed["Resources"][0]
    member_of = expect(entra.get(f"/Users/{users[0]}"), 200)["groups"]
    assert [g["value"] for g in member_of] == [gid]

    expect(entra.patch(path, json=patch_body({"op": "Remove", "path": "members", "value": [
        {"$ref": None, "value": users[0]}]})), 204)
    expect(entra.patch(path, json=patch_body(
        {"op": "remove", "path": f'members[value eq "{users[1]}"]'})), 204)
    members = expect(entra.get(path), 200)["members"]
    assert [m["value"] for m in members] == [users[2]], "only the named members left"

    expect(entra.patch(path, json=patch_body(
        {"op": "Replace", "path": "displayName", "value": "displayName-updated"})), 204)
    assert expect(entra.get(path), 200)["displayName"] == "displayName-updated"
    expect(entra.delete(path), 204)
    expect_error(entra.get(path), 404)
    assert tolerance_counts(client, contoso) == {"op_case": 3, "remove_value_selects": 1}


def test_bad_membership_changes_change_nothing(entra, client, contoso):
    member = create_user(entra, "Test_User_only")["id"]
    group = expect(entra.post("/Groups", json={"schemas": [GROUP], "displayName": "G",
                                               "members": [{"value": member}]}), 201)
    path = f"/Groups/{group['id']}"
    expect_error(entra.patch(path, json=patch_body({"op": "Add", "path": "members", "value": [
        {"value": member}, {"value": str(uuid.uuid4())}]})), 400, "invalidValue")
    expect_error(entra.patch(path, json=patch_body(
        {"op": "remove", "path": "members[value eq ]"})), 400)
    expect_error(entra.get("/Groups", query_string={"filter": "members[value eq"}), 400,
                 "invalidFilter")
    assert [m["value"] for m in expect(entra.get(path), 200)["members"]] == [member]
    assert expect(entra.get(path), 200)["meta"]["version"] == group["meta"]["version"]
    assert tolerance_counts(client, contoso) == {}, "refused requests count no workaround"


STRICT_CASES = {
    "string_booleans": lambda scim, uid, boss: scim.patch(f"/Users/{uid}", json=patch_body(
        {"op": "replace", "path": "active", "value": "False"})),
    "string_booleans_on_create": lambda scim, uid, boss: scim.post(
        "/Users", json=entra_user("Test_User_strings", active="True")),
    "create_on_filter": lambda scim, uid, boss: scim.patch(f"/Users/{uid}", json=patch_body(
        {"op": "add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555"})),
    "manager_shapes": lambda scim, uid, boss: scim.patch(f"/Users/{uid}", json=patch_body(
        {"op": "add", "path": MANAGER, "value": boss})),
    "manager_shapes_list": lambda scim, uid, boss: scim.patch(f"/Users/{uid}", json=patch_body(
        {"op": "replace", "path": MANAGER, "value": [{"value": boss}]})),
}


@pytest.mark.parametrize("case", sorted(STRICT_CASES))
def test_entra_workarounds_stay_strict_under_generic(case, make_tenant, make_scim_client,
                                                     client):
    """The same request: served for Entra and counted; refused, and not counted, for generic."""
    for idp, accepted in (("entra", True), ("generic", False)):
        tenant = make_tenant(f"{idp}-{case}", idp=idp)
        scim = make_scim_client(tenant)
        boss = expect(scim.post("/Users", json=entra_user(f"boss-{idp}")), 201)["id"]
        user = expect(scim.post("/Users", json=entra_user(f"user-{idp}")), 201)
        response = STRICT_CASES[case](scim, user["id"], boss)
        name = case.replace("_on_create", "").replace("_list", "")
        if accepted:
            assert response.status_code in (200, 201), response.get_json()
            assert tolerance_counts(client, tenant) == {name: 1}
        else:
            expect_error(response, 400)
            assert tolerance_counts(client, tenant) == {}
            assert expect(scim.get(f"/Users/{user['id']}"), 200) == user, "nothing changed"


def test_member_removal_by_value_stays_strict_under_generic(make_tenant, make_scim_client,
                                                            client):
    tenant = make_tenant("Strict", idp="generic")
    scim = make_scim_client(tenant)
    member = expect(scim.post("/Users", json=entra_user("kept")), 201)["id"]
    group = expect(scim.post("/Groups", json={"schemas": [GROUP], "displayName": "G",
                                              "members": [{"value": member}]}), 201)
    response = scim.patch(f"/Groups/{group['id']}", json=patch_body(
        {"op": "remove", "path": "members", "value": [{"value": member}]}))
    expect_error(response, 400, "invalidValue")
    assert [m["value"] for m in expect(scim.get(f"/Groups/{group['id']}"), 200)["members"]] \
        == [member]
    assert tolerance_counts(client, tenant) == {}
