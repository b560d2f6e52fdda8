"""The input gate: no JSON body, however deep or whatever its numbers, makes a 500.

Issue 12 finding 6: JSON nested 1,000-2,000 deep raised RecursionError (500) on every
endpoint, `/signup` and `/invitations/accept` included; `.search` with `startIndex` 10^30
overflowed (OverflowError on SQLite, bigint out of range on PostgreSQL).
"""
from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import Tenant
from scim_server.ops.input_gate import MAX_JSON_DEPTH, nesting_depth_exceeds
from tests.admin.test_auth import admin_routes

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def nested(depth: int, *, kind: str = "array", closed: bool = True) -> bytes:
    """A body that nests `depth` levels inside a JSON object."""
    inner = "[" * depth + ("]" * depth if closed else "") if kind == "array" \
        else '{"a":' * depth + ("1" + "}" * depth if closed else "")
    return ('{"schemas": ["x"], "deep": ' + inner + "}").encode()


DEEP_BODIES = [nested(1000), nested(2000), nested(2000, kind="object"),
               nested(5000, closed=False), nested(MAX_JSON_DEPTH + 1)]


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"a": [[[["]]]]]]]]"]}',
                                  b'["\\\\", [[]]]', nested(MAX_JSON_DEPTH - 1)])
def test_shallow_bodies_pass(body: bytes) -> None:
    assert not nesting_depth_exceeds(body)


@pytest.mark.parametrize("body", DEEP_BODIES)
def test_deep_bodies_are_caught_without_parsing(body: bytes) -> None:
    assert nesting_depth_exceeds(body)


def _scim_routes(app: Flask) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/scim/v2/") for method in rule.methods or ()
            if method in ("POST", "PUT", "PATCH")}


def _fill(rule: str, tenant: Tenant) -> str:
    url = rule.replace("<directory_id>", tenant.directory_id).replace("<org_id>", tenant.org_id)
    while "<" in url:
        start, end = url.index("<"), url.index(">")
        url = url[:start] + "00000000-0000-4000-8000-000000000000" + url[end + 1:]
    return url


def _assert_scim_syntax_error(response: Any, label: str) -> None:
    assert response.status_code == 400, (label, response.status_code, response.data[:200])
    body = response.get_json()
    assert body["scimType"] == "invalidSyntax" and body["status"] == "400", label


def _assert_problem(response: Any, label: str) -> None:
    assert response.status_code == 400, (label, response.status_code, response.data[:200])
    assert response.mimetype == "application/problem+json", label
    assert response.get_json()["status"] == 400, label


def test_every_scim_write_refuses_deep_bodies_as_invalid_syntax(
        app: Flask, client: FlaskClient, tenant: Tenant) -> None:
    routes = _scim_routes(app)
    assert len(routes) >= 6
    for method, rule in sorted(routes):
        for body in DEEP_BODIES:
            response = client.open(_fill(rule, tenant), method=method, data=body,
                                   headers=tenant.scim_headers,
                                   content_type="application/scim+json")
            _assert_scim_syntax_error(response, f"{method} {rule} {len(body)}")


def test_every_admin_write_refuses_deep_bodies_as_a_problem(
        app: Flask, client: FlaskClient, tenant: Tenant) -> None:
    routes = {(m, r) for m, r in admin_routes(app) if m != "GET"}
    assert len(routes) >= 20
    for method, rule in sorted(routes):
        for body in DEEP_BODIES[:2]:
            response = client.open(_fill(rule, tenant), method=method, data=body,
                                   headers=tenant.admin_headers,
                                   content_type="application/json")
            _assert_problem(response, f"{method} {rule}")
            assert response.get_json()["type"].endswith("/malformed-body")


@pytest.mark.parametrize("path", ["/signup", "/invitations/accept"])
@pytest.mark.parametrize("body", DEEP_BODIES)
def test_public_json_endpoints_refuse_deep_bodies(client: FlaskClient, path: str,
                                                  body: bytes) -> None:
    response = client.post(path, data=body, content_type="application/json")
    _assert_problem(response, path)


def test_a_chunked_deep_body_is_refused_too(client: FlaskClient) -> None:
    response = client.post("/signup", input_stream=io.BytesIO(nested(2000)),
                           content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_base={"wsgi.input_terminated": True})
    _assert_problem(response, "chunked")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity",
                                    "100000000000000000000000000000", "9223372036854775808"])
def test_numbers_no_column_holds_are_refused(client: FlaskClient, tenant: Tenant,
                                             number: str) -> None:
    admin = client.post(f"{tenant.admin_base}/products", headers=tenant.admin_headers,
                        data=f'{{"site_id": "x", "key": "k", "name": "K", "seat_limit": {number}}}',
                        content_type="application/json")
    _assert_problem(admin, number)
    scim = client.post(f"{tenant.scim_base}/Users", headers=tenant.scim_headers,
                       data=f'{{"schemas": ["{USER}"], "userName": "a", "x": {number}}}',
                       content_type="application/scim+json")
    _assert_scim_syntax_error(scim, number)


def _search(client: FlaskClient, tenant: Tenant, path: str, **params: Any) -> Any:
    return client.post(f"{tenant.scim_base}{path}", headers=tenant.scim_headers,
                       data=json.dumps({"schemas": [SEARCH], **params}),
                       content_type="application/scim+json")


@pytest.mark.parametrize("path", ["/.search", "/Users/.search", "/Groups/.search"])
def test_search_paging_values_never_overflow(client: FlaskClient, tenant: Tenant,
                                             path: str) -> None:
    client.post(f"{tenant.scim_base}/Users", headers=tenant.scim_headers,
                json={"schemas": [USER], "userName": "ann"})
    for start in (2**63 - 1, 2**62, 10**18, -(2**63)):
        for count in (2**63 - 1, -(2**63), 0, 5):
            response = _search(client, tenant, path, startIndex=start, count=count)
            assert response.status_code == 200, (start, count, response.get_json())
            body = response.get_json()
            expected = 1 if start < 1 and count > 0 and "Groups" not in path else 0
            assert body["itemsPerPage"] == expected, (start, count, body)
    too_big = _search(client, tenant, path, startIndex=10**30, count=10**30)
    assert too_big.status_code == 400 and too_big.get_json()["scimType"] == "invalidSyntax"


@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_list_paging_values_never_overflow(client: FlaskClient, tenant: Tenant,
                                           resource: str) -> None:
    base = f"{tenant.scim_base}/{resource}"
    for query in ("startIndex=9223372036854775807", "startIndex=999999999999999999",
                  "count=9223372036854775807", "count=-9223372036854775808",
                  "startIndex=-999999999999999999&count=1"):
        response = client.get(f"{base}?{query}", headers=tenant.scim_headers)
        assert response.status_code == 200, (query, response.get_json())
    for query in ("startIndex=1000000000000000000000000000000", "count=1" + "0" * 5000):
        response = client.get(f"{base}?{query}", headers=tenant.scim_headers)
        assert response.status_code == 400 and response.get_json()["scimType"] == "invalidValue"


def test_a_seat_limit_beyond_the_column_is_a_validation_problem(client: FlaskClient,
                                                                tenant: Tenant) -> None:
    site = client.get(f"{tenant.admin_base}/sites", headers=tenant.admin_headers
                      ).get_json()["data"][0]["id"]
    response = client.post(f"{tenant.admin_base}/products", headers=tenant.admin_headers,
                           json={"site_id": site, "key": "k", "name": "K",
                                 "seat_limit": 2**40})
    assert response.status_code == 422 and "seat_limit" in response.get_json()["errors"]
