"""Provisioning health, replayed: four identity providers push, some requests are refused,
and the admin API shows exactly those refusals, each with the request id we answered with.

Request shapes follow the replays beside this module (Entra ID, Okta, OneLogin) and
Google Workspace's plain RFC 7644 pushes; each sequence includes refusals that identity
provider would really meet: a missing userName, a PATCH on a user deleted on our side, a
duplicate userName, a member removal by value under a strict profile, a bad filter, and
Google's `active: "false"` (refused by decision, docs/health.md).
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from .replay import GROUP, USER, expect, expect_error, patch_body, tolerance_counts


def user_body(user_name: str, *, schemas: list[str] | None = None, **extra: Any) -> dict:
    body = {"schemas": schemas or [USER], "userName": user_name, "active": True,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"value": user_name, "type": "work", "primary": True}]}
    body.update(extra)
    return body


class Refusals:
    """The refusals a replay expects, by the request id each response carried."""

    def __init__(self) -> None:
        self.expected: dict[str, tuple[str, str, int, str | None]] = {}

    def note(self, response: Any, method: str, path: str, status: int,
             scim_type: str | None = None) -> dict:
        body = expect_error(response, status, scim_type)
        self.expected[response.headers["X-Request-Id"]] = (method, path, status, scim_type)
        return body


def health(client, tenant) -> dict:
    response = client.get(f"{tenant.admin_base}/directories/{tenant.directory_id}/health",
                          headers=tenant.admin_headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def failures(client, tenant, **query: Any) -> list[dict]:
    rows: list[dict] = []
    url = f"{tenant.admin_base}/directories/{tenant.directory_id}/failures"
    params: dict[str, Any] = {"limit": 2, **query}
    while url:
        response = client.get(url, headers=tenant.admin_headers, query_string=params or None)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        rows += page["data"]
        url, params = page["links"]["next"], {}
    return rows


def assert_shown_exactly(client, tenant, refusals: Refusals) -> list[dict]:
    shown = failures(client, tenant)
    assert {row["request_id"]: (row["method"], row["path"], row["status"], row["scimType"])
            for row in shown} == refusals.expected
    assert len(shown) == len(refusals.expected)
    times = [row["occurred_at"] for row in shown]
    assert times == sorted(times, reverse=True), "newest first"
    return shown


def test_entra_refusals_are_shown_with_their_request_ids(make_tenant, make_scim_client,
                                                         client):
    tenant = make_tenant("Contoso", idp="entra")
    entra, refused = make_scim_client(tenant), Refusals()
    expect(entra.get("/Users", query_string={"filter": 'userName eq "ann@contoso.test"'}), 200)
    ann = expect(entra.post("/Users", json=user_body("ann@contoso.test")), 201)
    expect(entra.patch(f"/Users/{ann['id']}", json=patch_body(
        {"op": "Replace", "path": "active", "value": "False"})), 200)
    refused.note(entra.post("/Users", json=user_body("", externalId="e-2")),
                 "POST", "/Users", 400, "invalidValue")
    gone = str(uuid.uuid4())
    refused.note(entra.patch(f"/Users/{gone}", json=patch_body(
        {"op": "Replace", "path": "displayName", "value": "X"})), "PATCH", "/Users/{id}", 404)
    shown = assert_shown_exactly(client, tenant, refused)
    assert {row["resource_id"] for row in shown} == {None, gone}

    report = health(client, tenant)
    assert report["state"] == "failing"  # the last push was refused
    assert report["failing_since"] is not None
    assert report["last_push"]["operation"] == "patch"
    assert report["totals"]["requests"] == 5 and report["totals"]["failures"] == 2
    assert report["totals"]["by_outcome"] == {"success": 3, "400": 1, "404": 1}
    assert report["totals"]["error_rate"] == pytest.approx(0.4)
    assert {t["name"] for t in report["tolerances"]} >= {"op_case", "string_booleans"}
    assert report["last_failure"]["request_id"] in refused.expected

    expect(entra.patch(f"/Users/{ann['id']}", json=patch_body(
        {"op": "Replace", "path": "active", "value": "True"})), 200)
    back = health(client, tenant)
    assert back["state"] == "healthy" and back["failing_since"] is None


def test_okta_refusals_are_shown_with_their_request_ids(make_tenant, make_scim_client, client):
    tenant = make_tenant("Initrode", idp="okta")
    okta, refused = make_scim_client(tenant), Refusals()
    ids = [expect(okta.post("/Users", json=user_body(f"u{n}@initrode.test")), 201)["id"]
           for n in range(2)]
    refused.note(okta.post("/Users", json=user_body("U0@initrode.test")),
                 "POST", "/Users", 409, "uniqueness")
    group = expect(okta.post("/Groups", json={"schemas": [GROUP], "displayName": "Eng",
                                              "members": [{"value": i} for i in ids]}), 201)
    refused.note(okta.patch(f"/Groups/{group['id']}", json=patch_body(
        {"op": "remove", "path": "members", "value": [{"value": ids[0]}]})),
        "PATCH", "/Groups/{id}", 400, "invalidValue")
    shown = assert_shown_exactly(client, tenant, refused)
    by_status = {row["status"]: row for row in shown}
    assert by_status[409]["subject"] == "U0@initrode.test"
    assert by_status[400]["subject"] == "Eng", "the group is named from its id"
    assert by_status[400]["resource_id"] == group["id"]

    only_409 = failures(client, tenant, status=409)
    assert [row["request_id"] for row in only_409] == [by_status[409]["request_id"]]
    only_value = failures(client, tenant, scimType="invalidValue")
    assert [row["request_id"] for row in only_value] == [by_status[400]["request_id"]]


def test_onelogin_legacy_urn_is_served_and_its_refusals_are_shown(make_tenant,
                                                                  make_scim_client, client):
    tenant = make_tenant("Globex", idp="onelogin")
    onelogin, refused = make_scim_client(tenant), Refusals()
    user = expect(onelogin.post("/Users", json=user_body("hank@globex.test")), 201)
    replaced = expect(onelogin.put(f"/Users/{user['id']}", json=user_body(
        "hank@globex.test", schemas=["urn:scim:schemas:core:2.0"], active="false",
        name={"givenName": "Hank", "familyName": "Scorpio"})), 200)
    assert replaced["active"] is False and replaced["name"]["givenName"] == "Hank"
    assert tolerance_counts(client, tenant)["legacy_schema_urn"] == 1
    refused.note(onelogin.get("/Users", query_string={"filter": 'userName eq'}),
                 "GET", "/Users", 400, "invalidFilter")
    refused.note(onelogin.delete(f"/Users/{uuid.uuid4()}"), "DELETE", "/Users/{id}", 404)
    assert_shown_exactly(client, tenant, refused)
    report = health(client, tenant)
    assert report["state"] == "failing", "the DELETE, a push, was the last one and failed"
    assert report["last_push"]["operation"] == "replace"
    assert {t["name"] for t in report["tolerances"]} >= {"legacy_schema_urn",
                                                         "string_booleans"}


def test_google_string_boolean_is_refused_and_shown(make_tenant, make_scim_client, client):
    tenant = make_tenant("Hooli", idp="google")
    google, refused = make_scim_client(tenant), Refusals()
    expect(google.get("/Users", query_string={"count": 1}), 200)  # Google's connection probe
    user = expect(google.post("/Users", json=user_body("gavin@hooli.test")), 201)
    before = health(client, tenant)
    assert before["state"] == "healthy"
    body = refused.note(google.patch(f"/Users/{user['id']}", json=patch_body(
        {"op": "replace", "path": "active", "value": "false"})),
        "PATCH", "/Users/{id}", 400, "invalidValue")
    shown = assert_shown_exactly(client, tenant, refused)
    assert shown[0]["detail"] == body["detail"]
    assert shown[0]["subject"] == "gavin@hooli.test"
    failing = health(client, tenant)
    assert failing["state"] == "failing"
    assert failing["failing_since"] == shown[0]["occurred_at"]
    expect(google.patch(f"/Users/{user['id']}", json=patch_body(
        {"op": "replace", "path": "active", "value": False})), 200)
    assert health(client, tenant)["state"] == "healthy"

    person = client.get(f"{tenant.admin_base}/directories/{tenant.directory_id}/requests",
                        headers=tenant.admin_headers,
                        query_string={"user": "GAVIN@hooli.test"}).get_json()
    assert person["account_id"] == user["id"]
    kinds = [(e["kind"], e["action"] or e["status"]) for e in person["data"]]
    assert kinds == [("change", "scim.user.updated"), ("failure", 400),
                     ("change", "scim.user.created")]
    assert person["data"][1]["request_id"] in refused.expected


def test_failure_records_keep_no_body_token_or_password(make_tenant, make_scim_client, client,
                                                        app):
    tenant = make_tenant("Vandelay", idp="entra")
    entra = make_scim_client(tenant)
    secret_password = "Tr0ub4dor&3-horse-battery"
    private = "Kramerica-Industries-42"
    body = user_body("art@vandelay.test", password=secret_password, title=private,
                     phoneNumbers=[{"value": "+1 555 0100", "type": "work"}])
    expect(entra.post("/Users", json=body), 201)
    expect_error(entra.post("/Users", json=body), 409, "uniqueness")
    expect_error(entra.post("/Users", json={**body, "active": {"nested": private}}), 400)
    expect_error(entra.put(f"/Users/{uuid.uuid4()}?access_token={tenant.scim_token}",
                           json=body), 404)
    assert len(failures(client, tenant)) == 3
    engine = app.extensions["scim_server.db"][0]
    with engine.connect() as connection:
        dump = json.dumps([list(map(str, row)) for table in
                           ("scim_failures", "scim_request_counts", "directory_pushes")
                           for row in connection.execute(text(f"SELECT * FROM {table}"))])
    for needle in (secret_password, private, "555 0100", tenant.scim_token,
                   tenant.admin_key, "Bearer", "access_token"):
        assert needle not in dump, needle
    assert "art@vandelay.test" in dump, "the userName involved is kept"
