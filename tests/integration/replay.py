"""Helpers for replaying an identity provider's requests and reading what the server saw."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def patch_body(*operations: dict[str, Any], key: str = "Operations") -> dict[str, Any]:
    """A PatchOp message (RFC 7644 §3.5.2) with the operations under `key`."""
    return {"schemas": [PATCH_OP], key: list(operations)}


def expect(response: Any, status: int) -> Any:
    """The JSON body of a response that must have `status`, with a useful failure message."""
    body = response.get_json(silent=True)
    assert response.status_code == status, (response.status_code, body)
    if body is not None:
        assert response.mimetype == "application/scim+json"
    return body


def expect_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """A SCIM error body (RFC 7644 §3.12) with `status` and, when given, `scimType`."""
    body = expect(response, status)
    assert body["schemas"] == [ERROR] and body["status"] == str(status), body
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def tolerances(client: FlaskClient, tenant: Any) -> dict[str, dict[str, Any]]:
    """The admin API's view of the workarounds a directory needed: name → row."""
    response = client.get(f"{tenant.admin_base}/directories/{tenant.directory_id}/tolerances",
                          headers=tenant.admin_headers, query_string={"limit": 100})
    assert response.status_code == 200, response.get_json()
    return {row["name"]: row for row in response.get_json()["data"]}


def tolerance_counts(client: FlaskClient, tenant: Any) -> dict[str, int]:
    return {name: row["count"] for name, row in tolerances(client, tenant).items()}
