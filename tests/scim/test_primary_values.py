"""`"primary": true` at most once per multi-valued attribute (RFC 7643 §2.4), everywhere.

Issue 12 finding 9: two primary emails were accepted and stored. No identity provider
is known to send them, so every profile refuses them with 400 `invalidValue`.
"""
from __future__ import annotations

from typing import Any

import pytest

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
TWO_PRIMARIES = [{"value": "ada@example.com", "type": "work", "primary": True},
                 {"value": "ada@home.example", "type": "home", "primary": True}]


def user(user_name: str = "ada@example.com", emails: Any = None) -> dict[str, Any]:
    return {"schemas": [CORE], "userName": user_name,
            "emails": emails if emails is not None else [{"value": user_name, "primary": True}]}


def assert_invalid_value(response: Any) -> None:
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["scimType"] == "invalidValue" and "primary" in body["detail"], body


@pytest.fixture(params=["generic", "entra", "okta"])
def scim_of_profile(request, make_tenant, make_scim_client):
    return make_scim_client(make_tenant(request.param.title(), idp=request.param))


def test_post_with_two_primaries_is_refused(scim_of_profile) -> None:
    assert_invalid_value(scim_of_profile.post("/Users", json=user(emails=TWO_PRIMARIES)))
    phones = user(emails=[]) | {"phoneNumbers": [{"value": "1", "primary": True},
                                                 {"value": "2", "primary": True}]}
    assert_invalid_value(scim_of_profile.post("/Users", json=phones))
    assert scim_of_profile.get("/Users").get_json()["totalResults"] == 0


def test_put_with_two_primaries_is_refused(scim_of_profile) -> None:
    created = scim_of_profile.post("/Users", json=user()).get_json()
    assert_invalid_value(scim_of_profile.put(f"/Users/{created['id']}",
                                             json=user(emails=TWO_PRIMARIES)))
    kept = scim_of_profile.get(f"/Users/{created['id']}").get_json()
    assert [e["value"] for e in kept["emails"]] == ["ada@example.com"]


@pytest.mark.parametrize("operation", [
    {"op": "add", "path": "emails", "value": TWO_PRIMARIES},
    {"op": "replace", "path": "emails", "value": TWO_PRIMARIES},
    {"op": "replace", "value": {"emails": TWO_PRIMARIES}},
])
def test_patch_writing_two_primaries_is_refused(scim_of_profile, operation) -> None:
    created = scim_of_profile.post("/Users", json=user()).get_json()
    patch = {"schemas": [PATCH_OP], "Operations": [operation]}
    assert_invalid_value(scim_of_profile.patch(f"/Users/{created['id']}", json=patch))


def test_patch_adding_one_primary_demotes_the_other(scim) -> None:
    """RFC 7644 §3.5.2: setting primary on one value sets it false on the others."""
    created = scim.post("/Users", json=user()).get_json()
    patch = {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "emails", "value": [{"value": "b@example.com", "primary": True}]}]}
    response = scim.patch(f"/Users/{created['id']}", json=patch)
    assert response.status_code == 200, response.get_json()
    emails = scim.get(f"/Users/{created['id']}").get_json()["emails"]
    assert [e["value"] for e in emails if e.get("primary")] == ["b@example.com"]


def test_bulk_operations_with_two_primaries_fail_alone(scim) -> None:
    created = scim.post("/Users", json=user("bob@example.com")).get_json()
    body = {"schemas": [BULK_REQUEST], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": user(emails=TWO_PRIMARIES)},
        {"method": "PUT", "path": f"/Users/{created['id']}",
         "data": user("bob@example.com", TWO_PRIMARIES)},
        {"method": "POST", "path": "/Users", "bulkId": "ok", "data": user("cy@example.com")}]}
    results = scim.post("/Bulk", json=body).get_json()["Operations"]
    assert [r["status"] for r in results] == ["400", "400", "201"]
    assert all(r["response"]["scimType"] == "invalidValue" for r in results[:2])
