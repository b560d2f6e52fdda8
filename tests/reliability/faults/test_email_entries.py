"""Email addresses with control characters are refused where they arrive (issue 11, finding 4).

Each address here gets past the shape checks the entries had before (marshmallow's
`Email` accepts a quoted local part with C0 controls; the invitation pattern accepts NUL;
SCIM stored any string), and each would poison the outbox: Python's email package
refuses CR, LF and friends in a `To:` header (RFC 5322 §2.2). SCIM answers 400
`invalidValue`; the admin API and signup answer their validation problem (422
`validation-failed`, naming the field), as for any other invalid field value.
"""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from conftest import ScimClient, Tenant
from scim_server.services.email_addresses import check_email_address
from scim_server.services.errors import InvalidInput
from tests.admin.conftest import AdminClient, problem

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
INJECTED = "ann@example.test\r\nBcc: everyone@example.test"
QUOTED_CONTROL = '"ann\x01"@acme.example'
INVALID = 422  # the admin API's status for a field that fails validation


@pytest.mark.parametrize("address", [
    "a\rb@example.test", "a\nb@example.test", "a\x00b@example.test", "a\x1fb@example.test",
    "a\x7fb@example.test", "a\x85b@example.test", "a\x9fb@example.test", "a\u2028b@x.test"])
def test_the_rule_refuses_every_control_character(address: str) -> None:
    with pytest.raises(InvalidInput, match="control character"):
        check_email_address(address)


@pytest.mark.parametrize("address", ["ann@example.test", "zoë@exämple.test", "a+b@x.test"])
def test_the_rule_keeps_printable_addresses(address: str) -> None:
    assert check_email_address(address) == address


def scim_refused(response: Any) -> None:
    assert response.status_code == 400, response.get_data(True)
    body = response.get_json()
    assert body["scimType"] == "invalidValue" and body["status"] == "400"
    assert "control character" in body["detail"]


def user(name: str, email: str) -> dict[str, Any]:
    return {"schemas": [CORE_USER], "userName": name,
            "emails": [{"value": email, "type": "work", "primary": True}]}


def test_scim_post_put_patch_and_bulk_refuse_it(scim: ScimClient) -> None:
    scim_refused(scim.post("/Users", json=user("ann", INJECTED)))
    scim_refused(scim.post("/Users", json={**user("bob", "bob@example.test"), "emails": [
        {"value": "bob@example.test", "primary": True}, {"value": "b\x00@example.test"}]}))
    created = scim.post("/Users", json=user("cy", "cy@example.test"))
    assert created.status_code == 201
    cy = created.get_json()["id"]
    scim_refused(scim.put(f"/Users/{cy}", json=user("cy", INJECTED)))
    scim_refused(scim.patch(f"/Users/{cy}", json={"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": INJECTED}]}))
    bulk = scim.post("/Bulk", json={"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "d", "data": user("dee", INJECTED)}]})
    assert bulk.status_code == 200, bulk.get_data(True)
    outcome = bulk.get_json()["Operations"][0]
    assert outcome["status"] == "400" and outcome["response"]["scimType"] == "invalidValue"
    listed = scim.get("/Users").get_json()
    assert [u["userName"] for u in listed["Resources"]] == ["cy"]
    assert listed["Resources"][0]["emails"][0]["value"] == "cy@example.test"


def test_a_user_name_used_as_the_email_is_checked_too(scim: ScimClient) -> None:
    scim_refused(scim.post("/Users", json={"schemas": [CORE_USER],
                                           "userName": "ann\r@example.test"}))


def test_admin_invitations_refuse_it(client: FlaskClient, tenant: Tenant) -> None:
    admin = AdminClient(client, tenant)
    body = problem(admin.post("/invitations", json={"emails": ["a\x07b@example.test"]}),
                   INVALID)
    assert "control character" in str(body)
    # A NUL never reaches the rule: the input gate refuses text no database can store.
    assert admin.post("/invitations", json={"emails": ["a\x00b@example.test"]}).status_code == 400
    body = problem(admin.post("/invitations", json={"emails": "ok@example.test, "
                                                             "c\x01d@example.test"}), INVALID)
    assert "control character" in str(body)
    assert admin.get("/invitations").get_json()["data"] == []


def _product(admin: AdminClient) -> str:
    site = admin.get("/sites").get_json()["data"][0]["id"]
    made = admin.post("/products", json={"site_id": site, "key": "jira", "name": "Jira"})
    return str(made.get_json()["id"])


def test_admin_access_requests_and_activity_refuse_it(client: FlaskClient,
                                                       tenant: Tenant) -> None:
    admin = AdminClient(client, tenant)
    product_id = _product(admin)
    body = problem(admin.post("/access-requests", json={"email": QUOTED_CONTROL,
                                                        "product_id": product_id}), INVALID)
    assert "control character" in str(body)
    body = problem(admin.post("/activity", json={"email": QUOTED_CONTROL,
                                                 "product_id": product_id}), INVALID)
    assert "control character" in str(body)


def test_admin_user_profile_refuses_it(client: FlaskClient, tenant: Tenant) -> None:
    admin = AdminClient(client, tenant)
    made = admin.post("/invitations", json={"emails": ["ann@example.test"],
                                            "send_email": False})
    ann = made.get_json()["data"][0]["account_id"]
    body = problem(admin.call("PATCH", f"/users/{ann}", json={"email": QUOTED_CONTROL}),
                   INVALID)
    assert "control character" in str(body)
    assert admin.get(f"/users/{ann}").get_json()["email"] == "ann@example.test"


def test_public_signup_refuses_it(client: FlaskClient, tenant: Tenant) -> None:
    admin = AdminClient(client, tenant)
    product_id = _product(admin)
    made = admin.post("/domains", json={"domain": "acme.example", "product_id": product_id,
                                        "approval_required": False})
    assert made.status_code == 201, made.get_data(True)
    body = problem(client.post("/signup", json={"email": QUOTED_CONTROL,
                                                "product_id": product_id}), INVALID)
    assert "control character" in str(body)
    assert admin.get("/users").get_json()["meta"]["total"] == 0
