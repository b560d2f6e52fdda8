"""Revoking a SCIM token or an admin key takes effect at once on every server process,
although each process remembers the tokens it verified (scim/token_cache.py)."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

import pytest
from sqlalchemy import event

from scim_server import db

from .conftest import REDIS_URL, redis_available

SCIM_JSON = "application/scim+json"
needs_redis = pytest.mark.skipif(not redis_available() and os.environ.get("CI") != "true",
                                 reason=f"no Redis at {REDIS_URL} (set SCIM_TEST_REDIS_URL)")
# With Redis the stamp comes back with the rate-limit call: limits on, far from reached.
VIA_REDIS = {"SCIM_REDIS_URL": REDIS_URL, "SCIM_RATE_LIMIT_ENABLED": "1"}
SETUPS = [pytest.param({}, id="database"), pytest.param(VIA_REDIS, id="redis", marks=needs_redis)]


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


@pytest.mark.parametrize("env", SETUPS)
def test_a_revoked_scim_token_fails_at_once_on_another_process(start_server, make_tenant, env):
    tenant = make_tenant("Revokers")
    one, two = start_server(env=env), start_server(env=env)
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


@pytest.mark.parametrize("env", SETUPS)
def test_a_revoked_admin_key_fails_at_once_on_another_process(start_server, make_tenant, env):
    tenant = make_tenant("Key holders")
    one, two = start_server(env=env), start_server(env=env)
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


def _auth_statements(app, tenant, user_id) -> list[str]:
    """The statements a GET /Users/{id} runs once the token is remembered."""
    client = app.test_client()
    url = f"{tenant.scim_base}/Users/{user_id}"
    for _ in range(3):
        assert client.get(url, headers=tenant.scim_headers).status_code == 200
    seen: list[str] = []
    engine = app.extensions[db.EXTENSION_KEY][0]

    def capture(_conn, _cursor, statement, *_args):  # noqa: ANN001
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert client.get(url, headers=tenant.scim_headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


@pytest.mark.parametrize("shared", [False, pytest.param(True, marks=needs_redis)],
                         ids=["database", "redis"])
def test_the_remembered_token_path_costs_one_stamp_read_or_none(make_ops_app, tenant, shared):
    app = make_ops_app(token_cache_seconds=60, rate_limit_enabled=shared,
                       redis_url=REDIS_URL if shared else None)
    created = app.test_client().post(
        f"{tenant.scim_base}/Users", json=_new_user(99), headers=tenant.scim_headers)
    assert created.status_code == 201
    seen = _auth_statements(app, tenant, created.get_json()["id"])
    assert not [s for s in seen if "scim_tokens" in s or "FROM directories" in s]
    stamps = [s for s in seen if "credential_stamps" in s]
    assert len(stamps) == (0 if shared else 1), seen
