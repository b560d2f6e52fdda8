"""The OpenAPI document is valid, generated from the schemas, and matches live responses."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from conftest import ScimClient, Tenant
from tests.admin.conftest import AdminClient


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/admin/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


class CheckedClient(AdminClient):
    """An admin client that validates every response against the OpenAPI document."""

    def __init__(self, client: FlaskClient, tenant: Tenant, spec: dict[str, Any]):
        super().__init__(client, tenant)
        self.spec = spec
        self.checked: set[tuple[str, str, int]] = set()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = super().call(method, path, **kwargs)
        url = path if path.startswith("/admin/") else self.tenant.admin_base + path
        self.check(method, url.split("?")[0], response)
        return response

    def check(self, method: str, url: str, response: Any) -> None:
        template, operation = self.operation(method, url)
        status = str(response.status_code)
        assert status in operation["responses"], (method, template, status)
        declared = operation["responses"][status]
        self.checked.add((method, template, response.status_code))
        if response.status_code == 204:
            assert response.get_data() == b""
            return
        content = declared["content"]
        assert response.mimetype in content, (method, template, response.mimetype)
        schema = {"$ref": None, "components": self.spec["components"]}
        schema.update(content[response.mimetype]["schema"])
        OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(
            response.get_json())

    def operation(self, method: str, url: str) -> tuple[str, dict[str, Any]]:
        for template, item in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            if re.match(pattern, url) and method.lower() in item:
                return template, item[method.lower()]
        raise AssertionError(f"{method} {url} is not in the OpenAPI document")


def test_the_document_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    account = spec["components"]["schemas"]["Account"]
    assert {"id", "email", "display_name", "status", "source", "invitation_status",
            "product_access", "groups", "last_active"} <= set(account["required"])
    assert account["properties"]["invitation_status"]["enum"] == [
        "has_site_access", "invitation_pending", "invitation_expired", "invitation_not_sent",
        "no_site_access"]
    create = spec["components"]["schemas"]["ProductCreate"]
    assert create["additionalProperties"] is False


def test_every_live_response_matches_the_document(
        client: FlaskClient, tenant: Tenant, spec: dict[str, Any],
        make_account: Callable[..., str], make_synced_group: Callable[..., str]) -> None:
    api = CheckedClient(client, tenant, spec)
    ann = make_account("ann@acme.test", name="Ann")
    sam = make_account("sam@acme.test", synced=True)
    synced = make_synced_group("Eng", users=(sam,))
    site = api.get("/sites").get_json()["data"][0]["id"]
    api.get(f"/sites/{site}")
    api.patch(f"/sites/{site}", json={"url": "https://acme.test"})
    api.post("/sites", json={"name": "Two"})
    api.post("/sites", json={"name": "Two"})
    product = api.post("/products", json={"site_id": site, "key": "jira", "name": "Jira",
                                          "seat_limit": 1}).get_json()
    api.get("/products")
    api.get(f"/products/{product['id']}")
    api.patch(f"/products/{product['id']}", json={"name": "Jira Software"})
    api.put(f"/products/{product['id']}/grants/users/{ann}", json={"role": "user"})
    api.put(f"/products/{product['id']}/grants/users/{ann}", json={"role": "admin"})
    api.put(f"/products/{product['id']}/grants/groups/{synced}", json={"role": "user"})
    api.get(f"/products/{product['id']}/grants")
    api.get("/licences")
    api.get("/users?limit=1")
    api.get(f"/users/{ann}")
    api.get(f"/users/{sam}")
    api.patch(f"/users/{sam}", json={"display_name": "S"})
    api.patch(f"/users/{ann}", json={"display_name": "Ann A"}, headers={"If-Match": '"x"'})
    api.post(f"/users/{ann}/deactivate", json={"message": "bye"})
    api.post(f"/users/{ann}/reactivate")
    api.post(f"/users/{ann}/delete")
    api.post(f"/users/{ann}/cancel-delete")
    api.put(f"/users/{ann}/sites/{site}", json={"role": "trusted"})
    api.delete(f"/users/{ann}/sites/{site}")
    group = api.post("/groups", json={"name": "Helpers"}).get_json()["id"]
    api.post(f"/groups/{group}/members", json={"account_id": ann})
    api.get(f"/groups/{group}/members")
    api.get("/groups")
    api.get(f"/groups/{group}")
    api.patch(f"/groups/{group}", json={"name": "Helpers 2"})
    api.delete(f"/groups/{group}/members", json={"account_id": ann})
    api.delete(f"/groups/{group}/members/{ann}")
    api.delete(f"/groups/{group}")
    api.delete(f"/products/{product['id']}/grants/users/{ann}")
    api.delete(f"/products/{product['id']}/grants/groups/{synced}")
    api.get("/audit-log?limit=2")
    api.get("/directories")
    directory = api.post("/directories", json={"name": "Okta", "idp": "okta"}).get_json()
    api.get(f"/directories/{directory['id']}")
    api.patch(f"/directories/{directory['id']}", json={"rate_limit": {"per_second": 5,
                                                                      "burst": 10}})
    token = api.post(f"/directories/{directory['id']}/tokens", json={}).get_json()
    api.get(f"/directories/{directory['id']}/tokens")
    api.delete(f"/directories/{directory['id']}/tokens/{token['id']}")
    api.get(f"/directories/{directory['id']}/tolerances")
    # Provisioning health: flows in tests/integration/test_health_replay.py.
    ScimClient(client, tenant).post("/Users", json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "sam@acme.test"})
    health = f"/directories/{tenant.directory_id}"
    api.get(f"{health}/health")
    api.get(f"{health}/failures?status=409&scimType=uniqueness")
    api.get(f"{health}/failures?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z")
    api.get(f"{health}/requests?user=sam@acme.test")
    key = api.post("/admin-keys", json={"scopes": ["read-only"]}).get_json()
    api.get("/admin-keys")
    reader = CheckedClient(client, tenant, spec)
    reader.key = key["admin_key"]
    reader.post("/sites", json={"name": "Three"})
    api.delete(f"/admin-keys/{key['id']}")
    reader.get("/sites")
    api.post("/sites", json={"name": 3})
    api.get("/users?limit=nope")
    api.get("/products/unknown")
    # Access requests and inactive users: flows in tests/admin/test_access_requests.py.
    api.post("/access-requests", json={"account_id": ann, "product_id": product["id"]})
    api.get("/access-requests?status=all")
    api.get("/access-requests/unknown")
    for action, body in (("approve", {}), ("deny", {"message": "no"}), ("reopen", {})):
        api.post(f"/access-requests/unknown/{action}", json=body)
    api.get("/access-settings")
    api.patch("/access-settings", json={"deactivated_may_request": True})
    api.post("/activity", json={"account_id": ann, "product_id": product["id"]})
    api.get("/inactive-users?days=30")
    api.post("/inactive-users/deactivate", json={"days": 30, "dry_run": True})
    rule = api.post("/domains", json={"domain": "acme.test", "product_id": product["id"]})
    api.get("/domains")
    api.delete(f"/domains/{rule.get_json()['id']}")
    api.get("/user-interests?window=7d")
    # Invitations and the outbox: flows in tests/admin/test_invitations.py, test_outbox.py.
    invited = api.post("/invitations", json={"emails": "new@acme.test, nope"}).get_json()
    invitation = invited["data"][0]["invitation_id"]
    api.get("/invitations?status=invitation_pending")
    api.get(f"/invitations/{invitation}")
    resent = api.post(f"/invitations/{invitation}/resend", json={}).get_json()
    api.post(f"/invitations/{resent['id']}/revoke", json={})
    api.post(f"/users/{resent['account_id']}/invite", json={"message": "hi"})
    message = api.get("/outbox").get_json()["data"][0]["id"]
    api.get(f"/outbox/{message}")
    api.post(f"/outbox/{message}/retry", json={})
    statuses = {status for _m, _t, status in api.checked | reader.checked}
    assert {200, 201, 204, 400, 401, 403, 404, 409, 412, 422} <= statuses
    operations = {(m.upper(), t) for t, item in spec["paths"].items() for m in item}
    covered = {(m, t) for m, t, _s in api.checked}
    assert operations - covered <= {("GET", "/admin/v1/openapi.json")}
