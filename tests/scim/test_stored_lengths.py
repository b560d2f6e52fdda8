"""Values longer than the server keeps are refused with 400 `invalidValue` (RFC 7644
§3.12) on every backend and every write route, before anything is stored: PostgreSQL's
`VARCHAR(n)` would otherwise fail mid-transaction with a 500, and SQLite would keep them."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from scim_server.models import Account, DirectoryUser, Group

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


@pytest.mark.parametrize("changes, attribute", [
    ({"userName": "u" * 401}, "userName"),
    ({"externalId": "e" * 401}, "externalId"),
    ({"displayName": "d" * 401}, "displayName"),
    ({"name": {"formatted": "f" * 401}}, "displayName"),
    ({"emails": [{"value": "a" * 320 + "@example.com", "primary": True}]}, "primary email"),
    ({"emails": [{"value": "a@example.com", "type": "t" * 65}]}, "emails.type"),
    ({"phoneNumbers": [{"value": "1", "display": "p" * 401}]}, "phoneNumbers.display"),
])
def test_a_user_value_too_long_to_keep_is_refused(scim, db_session, changes, attribute):
    body = {"schemas": [USER], "userName": "ok@example.com", **changes}
    response = scim.post("/Users", json=body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert error["scimType"] == "invalidValue" and attribute in error["detail"]
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(DirectoryUser)) == 0


def test_the_longest_values_kept_are_stored_whole(scim, db_session):
    name, display = "u" * 400, "d" * 400
    response = scim.post("/Users", json={"schemas": [USER], "userName": name,
                                         "externalId": "e" * 400, "displayName": display})
    assert response.status_code == 201
    created = response.get_json()
    assert created["userName"] == name and created["displayName"] == display
    db_session.rollback()
    account = db_session.get(Account, created["id"])
    assert account.display_name == display[:300], "the account's label is clipped, not refused"


def test_every_write_route_refuses_them(scim, db_session):
    user = scim.post("/Users", json={"schemas": [USER], "userName": "ada"}).get_json()
    long_name = "x" * 401
    put = scim.put(f"/Users/{user['id']}", json={"schemas": [USER], "userName": long_name})
    patch = scim.patch(f"/Users/{user['id']}", json={"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "externalId", "value": long_name}]})
    group = scim.post("/Groups", json={"schemas": [GROUP], "displayName": long_name})
    bulk = scim.post("/Bulk", json={"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a",
         "data": {"schemas": [USER], "userName": "fine"}},
        {"method": "POST", "path": "/Users", "bulkId": "b",
         "data": {"schemas": [USER], "userName": long_name}}]})
    assert [put.status_code, patch.status_code, group.status_code] == [400, 400, 400]
    assert [op["status"] for op in bulk.get_json()["Operations"]] == ["201", "400"]
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Group)) == 0
    assert scim.get(f"/Users/{user['id']}").get_json()["userName"] == "ada"
