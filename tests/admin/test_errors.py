"""Every admin failure is an RFC 9457 problem document, never a 500."""
from __future__ import annotations

import json
from typing import Callable

from flask import Flask

from conftest import Tenant
from tests.admin.conftest import AdminClient, problem
from tests.admin.test_auth import admin_routes

BAD_BODIES = ["{", "[]", "null", '"text"', "12", '{"role": 5}', '{"name": ["x"]}',
              '{"seat_limit": "many", "key": {}}', '{"unexpected": true}', "\u00ff\u00fe",
              '{"account_id": null, "group_id": 3}', '{"scopes": "org-admin"}']


def test_malformed_json_and_wrong_shapes(admin: AdminClient) -> None:
    body = problem(admin.post("/sites", data="{", content_type="application/json"), 400)
    assert body["type"].endswith("/malformed-body")
    problem(admin.post("/sites", data="[1]", content_type="application/json"), 400)
    problem(admin.post("/sites", data="name=x", content_type="application/x-www-form-urlencoded"),
            415)
    invalid = problem(admin.post("/sites", json={"name": ""}), 422)
    assert invalid["type"].endswith("/validation-failed") and "name" in invalid["errors"]


def test_oversize_bodies_are_413(app: Flask, admin: AdminClient) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    huge = json.dumps({"name": "x" * (limit + 10)})
    problem(admin.post("/sites", data=huge, content_type="application/json"), 413)


def test_unknown_urls_and_methods_are_problems(admin: AdminClient, tenant: Tenant) -> None:
    problem(admin.get("/no-such-thing"), 404)
    problem(admin.client.get("/admin/v1/nothing-here"), 404)
    problem(admin.client.get("/admin/"), 404)
    wrong = admin.call("DELETE", "/sites")
    problem(wrong, 405)
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_no_body_on_any_endpoint_makes_a_500(app: Flask, admin: AdminClient,
                                             make_account: Callable[..., str],
                                             make_product: Callable[..., dict]) -> None:
    ann = make_account("ann@acme.test")
    product = make_product()
    group = admin.post("/groups", json={"name": "G"}).get_json()["id"]
    site = admin.get("/sites").get_json()["data"][0]["id"]
    values = {"site_id": site, "product_id": product["id"], "account_id": ann,
              "group_id": group, "member_id": ann, "directory_id": admin.tenant.directory_id,
              "token_id": "t", "key_id": "k"}
    for method, rule in sorted(admin_routes(app)):
        if method == "GET":
            continue
        url = rule.replace("<org_id>", admin.tenant.org_id)
        for name, value in values.items():
            url = url.replace(f"<{name}>", value)
        for raw in BAD_BODIES:
            response = admin.call(method, url, data=raw.encode("utf-8", "surrogatepass"),
                                  content_type="application/json")
            assert 200 <= response.status_code < 500, (method, rule, raw, response.get_json())
            if response.status_code >= 400:
                problem(response, response.status_code)


def test_query_strings_are_checked(admin: AdminClient) -> None:
    for query in ("limit=-1", "limit=1.5", "limit=100000", "cursor=%00", "source=ldap",
                  "unknown=1", "q="):
        problem(admin.get(f"/users?{query}"), 400)
