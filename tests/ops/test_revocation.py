"""Revoking a SCIM token or an admin key takes effect at once on every server process,
although each process remembers the tokens it verified (scim/token_cache.py)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

SCIM_JSON = "application/scim+json"


def _call(base: str, method: str, path: str, secret: str, body: Any = None,
          content_type: str = "application/json") -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {secret}", "Connection": "close"}
    if data is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def _new_user(n: int) -> dict[str, Any]:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"revoked-{n}@example.com"}


def test_a_revoked_scim_token_fails_at_once_on_another_process(start_server, make_tenant):
    tenant = make_tenant("Revokers")
    one, two = start_server(), start_server()
    for server in (one, two):  # both processes verify and remember the token
        for _ in range(2):
            assert _call(server.base_url, "GET", tenant.scim_base + "/Users",
                         tenant.scim_token)[0] == 200
    status, created = _call(two.base_url, "POST", tenant.scim_base + "/Users", tenant.scim_token,
                            _new_user(0), SCIM_JSON)
    assert status == 201, created
    tokens = _call(one.base_url, "GET", f"{tenant.admin_base}/directories/"
                   f"{tenant.directory_id}/tokens", tenant.admin_key)[1]["data"]
    status, _ = _call(one.base_url, "DELETE", f"{tenant.admin_base}/directories/"
                      f"{tenant.directory_id}/tokens/{tokens[0]['id']}", tenant.admin_key)
    assert status == 204
    # The very next request on the other process, well inside its cache lifetime.
    status, body = _call(two.base_url, "POST", tenant.scim_base + "/Users", tenant.scim_token,
                         _new_user(1), SCIM_JSON)
    assert status == 401, body
    assert _call(one.base_url, "GET", tenant.scim_base + "/Users", tenant.scim_token)[0] == 401


def test_a_revoked_admin_key_fails_at_once_on_another_process(start_server, make_tenant):
    tenant = make_tenant("Key holders")
    one, two = start_server(), start_server()
    status, issued = _call(one.base_url, "POST", f"{tenant.admin_base}/admin-keys",
                           tenant.admin_key, {"name": "temporary", "scopes": ["read-only"]})
    assert status == 201, issued
    for server in (one, two):
        assert _call(server.base_url, "GET", f"{tenant.admin_base}/users",
                     issued["admin_key"])[0] == 200
    assert _call(one.base_url, "DELETE", f"{tenant.admin_base}/admin-keys/{issued['id']}",
                 tenant.admin_key)[0] == 204
    assert _call(two.base_url, "GET", f"{tenant.admin_base}/users",
                 issued["admin_key"])[0] == 401
