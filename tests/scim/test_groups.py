"""/Groups (RFC 7644 §3): CRUD, membership edits of k rows, nesting, projection, streaming."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from scim_server.models import Group, GroupMember

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def make_user(scim):
    def _make(name: str) -> str:
        response = scim.post("/Users", json={"schemas": [USER], "userName": name,
                                             "displayName": name.title()})
        assert response.status_code == 201
        return response.get_json()["id"]
    return _make


@pytest.fixture
def make_group(scim):
    def _make(name: str, members: list[str] = ()) -> dict:
        response = scim.post("/Groups", json={"schemas": [GROUP], "displayName": name,
                                              "members": [{"value": m} for m in members]})
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return _make


def patch(scim, group_id, *operations, **kwargs):
    return scim.patch(f"/Groups/{group_id}", json={"schemas": [PATCH_OP],
                                                  "Operations": list(operations)}, **kwargs)


def member_ids(scim, group_id):
    return {m["value"] for m in scim.get(f"/Groups/{group_id}").get_json().get("members", [])}


def test_create_and_read(scim, make_user, make_group):
    ada = make_user("ada")
    group = make_group("Engineers", [ada])
    assert group["displayName"] == "Engineers"
    assert group["members"] == [{"value": ada, "type": "User", "display": "Ada",
                                 "$ref": f"http://scim.test{scim.tenant.scim_base}/Users/{ada}"}]
    fetched = scim.get(f"/Groups/{group['id']}")
    assert fetched.status_code == 200 and fetched.headers["ETag"] == group["meta"]["version"]
    assert fetched.get_json() == group


def test_display_name_is_unique_case_insensitively(scim, make_group):
    make_group("Engineers")
    response = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "ENGINEERS"})
    assert response.status_code == 409 and response.get_json()["scimType"] == "uniqueness"


def test_unknown_member_is_invalid_value_and_nothing_is_stored(scim, db_session, make_user):
    ada = make_user("ada")
    response = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "G",
                                          "members": [{"value": ada}, {"value": "nope"}]})
    assert response.status_code == 400 and response.get_json()["scimType"] == "invalidValue"
    assert db_session.scalar(select(func.count()).select_from(Group)) == 0


def test_patch_adds_and_removes_members_without_touching_others(scim, db_session, make_user,
                                                                 make_group):
    ada, bob, cy = make_user("ada"), make_user("bob"), make_user("cy")
    group = make_group("G", [ada, bob])
    response = patch(scim, group["id"], {"op": "add", "path": "members", "value": [{"value": cy}]},
                     {"op": "remove", "path": f'members[value eq "{ada}"]'})
    assert response.status_code in (200, 204)
    assert member_ids(scim, group["id"]) == {bob, cy}
    stored = db_session.get(Group, group["id"])
    assert stored.member_count == 2 and stored.version == 2


def test_adding_an_existing_member_or_removing_an_absent_one_is_a_no_op(scim, db_session,
                                                                       make_user, make_group):
    ada, bob = make_user("ada"), make_user("bob")
    group = make_group("G", [ada])
    assert patch(scim, group["id"], {"op": "add", "path": "members",
                                     "value": [{"value": ada}]}).status_code in (200, 204)
    assert patch(scim, group["id"], {"op": "remove",
                                     "path": f'members[value eq "{bob}"]'}).status_code in (200, 204)
    assert member_ids(scim, group["id"]) == {ada}
    assert db_session.get(Group, group["id"]).member_count == 1


def test_patch_with_unknown_member_changes_nothing(scim, make_user, make_group):
    ada, bob = make_user("ada"), make_user("bob")
    group = make_group("G", [ada])
    response = patch(scim, group["id"], {"op": "add", "path": "members",
                                         "value": [{"value": bob}, {"value": "ghost"}]})
    assert response.status_code == 400 and response.get_json()["scimType"] == "invalidValue"
    assert member_ids(scim, group["id"]) == {ada}


def test_replace_members_and_remove_all(scim, make_user, make_group, db_session):
    ada, bob = make_user("ada"), make_user("bob")
    group = make_group("G", [ada])
    patch(scim, group["id"], {"op": "replace", "path": "members", "value": [{"value": bob}]})
    assert member_ids(scim, group["id"]) == {bob}
    patch(scim, group["id"], {"op": "remove", "path": "members"})
    assert member_ids(scim, group["id"]) == set()
    assert db_session.get(Group, group["id"]).member_count == 0


def test_rename_with_patch_and_attributes_parameter(scim, make_group):
    group = make_group("Old")
    response = scim.patch(f"/Groups/{group['id']}?attributes=displayName",
                          json={"schemas": [PATCH_OP], "Operations": [
                              {"op": "replace", "path": "displayName", "value": "New"}]})
    assert response.status_code == 200
    assert response.get_json()["displayName"] == "New"


def test_nested_groups_and_the_users_groups_attribute(scim, make_user, make_group):
    ada = make_user("ada")
    inner = make_group("Inner", [ada])
    outer = make_group("Outer", [inner["id"]])
    assert scim.get(f"/Groups/{outer['id']}").get_json()["members"][0]["type"] == "Group"
    groups = scim.get(f"/Users/{ada}").get_json()["groups"]
    assert {(g["display"], g["type"]) for g in groups} == {("Inner", "direct"),
                                                           ("Outer", "indirect")}


def test_membership_cycles_are_refused(scim, make_group):
    a = make_group("A")
    b = make_group("B", [a["id"]])
    response = patch(scim, a["id"], {"op": "add", "path": "members", "value": [{"value": b["id"]}]})
    assert response.status_code == 400
    response = patch(scim, a["id"], {"op": "add", "path": "members", "value": [{"value": a["id"]}]})
    assert response.status_code == 400


def test_excluded_members_never_reads_memberships(scim, make_user, make_group, app):
    from sqlalchemy import event

    ada = make_user("ada")
    group = make_group("G", [ada])
    statements: list[str] = []
    engine = app.extensions["scim_server.db"][0]

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        body = scim.get(f"/Groups/{group['id']}?excludedAttributes=members").get_json()
        listed = scim.get("/Groups?excludedAttributes=members").get_json()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert "members" not in body and "members" not in listed["Resources"][0]
    assert not [s for s in statements if "group_members" in s]


def test_list_filter_and_member_filter(scim, make_user, make_group):
    ada = make_user("ada")
    make_group("Alpha", [ada])
    make_group("Beta")
    body = scim.get('/Groups?filter=displayName eq "alpha"').get_json()
    assert [g["displayName"] for g in body["Resources"]] == ["Alpha"]
    body = scim.get(f'/Groups?filter=members[value eq "{ada}"]&excludedAttributes=members')
    assert [g["displayName"] for g in body.get_json()["Resources"]] == ["Alpha"]
    body = scim.get("/Groups?sortBy=displayName&sortOrder=descending&attributes=displayName")
    assert [g["displayName"] for g in body.get_json()["Resources"]] == ["Beta", "Alpha"]


def test_put_replaces_members(scim, make_user, make_group):
    ada, bob = make_user("ada"), make_user("bob")
    group = make_group("G", [ada])
    response = scim.put(f"/Groups/{group['id']}", json={
        "schemas": [GROUP], "id": group["id"], "displayName": "G2", "members": [{"value": bob}]})
    assert response.status_code == 200
    assert response.get_json()["displayName"] == "G2"
    assert member_ids(scim, group["id"]) == {bob}


def test_delete_group_and_its_memberships(scim, db_session, make_user, make_group):
    ada = make_user("ada")
    inner = make_group("Inner", [ada])
    outer = make_group("Outer", [inner["id"]])
    assert scim.delete(f"/Groups/{inner['id']}").status_code == 204
    assert scim.get(f"/Groups/{inner['id']}").status_code == 404
    assert member_ids(scim, outer["id"]) == set()
    assert db_session.get(Group, outer["id"]).member_count == 0
    assert db_session.scalar(select(func.count()).select_from(GroupMember)) == 0


def test_deleting_a_user_removes_its_memberships(scim, db_session, make_user, make_group):
    ada, bob = make_user("ada"), make_user("bob")
    group = make_group("G", [ada, bob])
    scim.delete(f"/Users/{ada}")
    assert member_ids(scim, group["id"]) == {bob}


def test_if_match_on_groups(scim, make_group):
    group = make_group("G")
    response = patch(scim, group["id"], {"op": "replace", "path": "displayName", "value": "H"},
                     headers={"If-Match": 'W/"99"'})
    assert response.status_code == 412
    assert scim.get(f"/Groups/{group['id']}",
                    headers={"If-None-Match": group["meta"]["version"]}).status_code == 304


def test_cross_tenant_groups_are_invisible(make_tenant, make_scim_client):
    victim, attacker = make_tenant("Victim"), make_tenant("Attacker")
    group = make_scim_client(victim).post("/Groups", json={"schemas": [GROUP],
                                                           "displayName": "Secret"}).get_json()
    other = make_scim_client(attacker)
    assert other.get(f"/Groups/{group['id']}").status_code == 404
    assert other.delete(f"/Groups/{group['id']}").status_code == 404
    assert other.get("/Groups").get_json()["totalResults"] == 0
    # A member id from another tenant is unknown here.
    victim_user = make_scim_client(victim).post("/Users", json={
        "schemas": [USER], "userName": "v"}).get_json()["id"]
    response = other.post("/Groups", json={"schemas": [GROUP], "displayName": "Mine",
                                           "members": [{"value": victim_user}]})
    assert response.status_code == 400
