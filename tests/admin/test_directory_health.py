"""`directories/{id}/health`, `/failures`, `/requests`: scopes, tenancy, filters, paging,
the state's definition (docs/health.md) and the person lookup."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from conftest import ScimClient, Tenant
from scim_server import db
from scim_server.models import ScimFailure, utcnow
from tests.admin.conftest import AdminClient, problem

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def base(tenant: Tenant) -> str:
    return f"/directories/{tenant.directory_id}"


def test_read_only_keys_read_health_and_other_scopes_cannot(
        admin: AdminClient, tenant: Tenant, make_tenant) -> None:
    for scopes, status in ((["read-only"], 200), (["user-access-admin"], 403)):
        key = admin.post("/admin-keys", json={"scopes": scopes}).get_json()["admin_key"]
        reader = admin.with_key(key)
        for path in ("/health", "/failures", "/requests?user=x@acme.test"):
            assert reader.get(base(tenant) + path).status_code == status, (scopes, path)
    other = make_tenant("Other")
    for path in ("/health", "/failures", "/requests?user=x@acme.test"):
        problem(admin.get(base(other) + path), 404)


def test_bad_queries_are_refused_with_a_problem(admin: AdminClient, tenant: Tenant) -> None:
    for query in ("/failures?status=abc", "/failures?status=200", "/failures?limit=0",
                  "/failures?since=yesterday", "/failures?cursor=%%%",
                  "/health?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
                  "/requests", "/requests?user=", "/failures?unknown=1"):
        response = admin.get(base(tenant) + query)
        assert response.status_code in (400, 422), (query, response.get_json())
        assert response.mimetype == "application/problem+json"


def test_reads_never_change_the_state_and_a_good_push_ends_a_failure(
        admin: AdminClient, scim: ScimClient, tenant: Tenant) -> None:
    empty = admin.get(base(tenant) + "/health").get_json()
    assert (empty["state"], empty["last_push"], empty["last_failure"]) == ("healthy", None, None)
    assert empty["totals"] == {"requests": 0, "failures": 0, "error_rate": 0.0,
                               "by_outcome": {}}
    scim.get("/Users/00000000-0000-0000-0000-000000000000")  # a 404 read: how IdPs probe
    scim.get("/Users", query_string={"filter": "nope"})      # a 400 read
    after_reads = admin.get(base(tenant) + "/health").get_json()
    assert after_reads["state"] == "healthy" and after_reads["totals"]["failures"] == 2
    scim.post("/Groups", json={"schemas": [GROUP]})          # a refused push: no displayName
    first = admin.get(base(tenant) + "/failures?limit=1").get_json()["data"][0]
    scim.post("/Groups", json={"schemas": [GROUP]})
    failing = admin.get(base(tenant) + "/health").get_json()
    assert failing["state"] == "failing"
    assert failing["failing_since"] == first["occurred_at"], "the first refused push"
    scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Ops"})
    healed = admin.get(base(tenant) + "/health").get_json()
    assert (healed["state"], healed["failing_since"]) == ("healthy", None)
    assert healed["last_push"]["resource"] == "Groups"
    assert healed["totals"]["requests"] == 5 and healed["totals"]["error_rate"] == 0.8


def test_the_health_window_counts_only_its_hours(admin: AdminClient, scim: ScimClient,
                                                 tenant: Tenant) -> None:
    scim.get("/Users")
    now = utcnow()
    inside = admin.get(base(tenant) + "/health", query_string={
        "since": (now - timedelta(hours=1)).isoformat()}).get_json()
    assert inside["totals"]["requests"] == 1
    assert [(c["resource"], c["operation"], c["outcome"], c["count"])
            for c in inside["counts"]] == [("Users", "list", "success", 1)]
    before = admin.get(base(tenant) + "/health", query_string={
        "since": (now - timedelta(days=3)).isoformat(),
        "until": (now - timedelta(days=2)).isoformat()}).get_json()
    assert before["totals"]["requests"] == 0 and before["counts"] == []


def test_failures_page_newest_first_and_filter_by_time(app: Flask, admin: AdminClient,
                                                       tenant: Tenant) -> None:
    start = utcnow() - timedelta(days=3)
    with app.app_context():
        session = db.new_session(app)
        for day in range(3):
            session.add(ScimFailure(
                directory_id=tenant.directory_id, occurred_at=start + timedelta(days=day),
                request_id=f"day-{day}", method="PUT", path="/Users/{id}", resource="Users",
                operation="replace", status=400 + day, scim_type="invalidValue" if day else None,
                detail="no"))
        session.commit()
        session.close()
    first = admin.get(base(tenant) + "/failures?limit=2").get_json()
    assert [r["request_id"] for r in first["data"]] == ["day-2", "day-1"]
    assert first["meta"]["total"] == 3
    rest = admin.get(first["links"]["next"].removeprefix("http://scim.test")).get_json()
    assert [r["request_id"] for r in rest["data"]] == ["day-0"] and rest["links"]["next"] is None
    window = admin.get(base(tenant) + "/failures", query_string={
        "since": (start + timedelta(hours=12)).isoformat(),
        "until": (start + timedelta(days=1, hours=12)).isoformat()}).get_json()
    assert [r["request_id"] for r in window["data"]] == ["day-1"]
    typed = admin.get(base(tenant) + "/failures?scimType=INVALIDVALUE&status=402").get_json()
    assert [r["request_id"] for r in typed["data"]] == ["day-2"]


def test_a_person_is_found_by_email_and_by_username(admin: AdminClient, scim: ScimClient,
                                                    tenant: Tenant) -> None:
    created = scim.post("/Users", json={
        "schemas": [USER], "userName": "jdoe", "emails": [{"value": "Jane@Acme.test",
                                                           "primary": True}]}).get_json()
    refused = scim.patch(f"/Users/{created['id']}", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "nickName[", "value": "J"}]})
    assert refused.status_code == 400
    scim.post("/Users", json={"schemas": [USER], "userName": "other"})
    for who in ("JDOE", "jane@acme.test"):
        found = admin.get(base(tenant) + "/requests", query_string={"user": who}).get_json()
        assert (found["account_id"], found["user_name"]) == (created["id"], "jdoe")
        assert [e["kind"] for e in found["data"]] == ["failure", "change"]
        assert found["data"][0]["request_id"] == refused.headers["X-Request-Id"]
    nobody = admin.get(base(tenant) + "/requests?user=ghost@acme.test").get_json()
    assert (nobody["account_id"], nobody["data"]) == (None, [])


def test_a_person_is_found_by_an_address_as_scim_folds_it(admin: AdminClient, scim: ScimClient,
                                                         tenant: Tenant) -> None:
    """"İ" is "i" and a final "Σ" is "σ", one character for one, as SCIM stores them."""
    created = scim.post("/Users", json={
        "schemas": [USER], "userName": "ilker", "emails": [{"value": "İlker@Acme.test",
                                                            "primary": True}]}).get_json()
    refused = scim.post("/Users", json={"schemas": [USER], "userName": "ΟΔΟΣ@acme.test",
                                        "active": "yes"})
    assert refused.status_code == 400
    found = admin.get(base(tenant) + "/requests?user=İlker@acme.test").get_json()
    assert (found["account_id"], found["user_name"]) == (created["id"], "ilker")
    found = admin.get(base(tenant) + "/requests?user=οδοσ@acme.test").get_json()
    assert [e["request_id"] for e in found["data"]] == [refused.headers["X-Request-Id"]]


def test_a_refused_creation_is_found_by_the_username_it_named(
        admin: AdminClient, scim: ScimClient, tenant: Tenant) -> None:
    response = scim.post("/Users", json={"schemas": [USER], "userName": "newbie@acme.test",
                                         "active": "yes"})
    assert response.status_code == 400
    found = admin.get(base(tenant) + "/requests?user=Newbie@Acme.test").get_json()
    assert found["account_id"] is None
    assert [(e["kind"], e["status"], e["request_id"]) for e in found["data"]] == [
        ("failure", 400, response.headers["X-Request-Id"])]


def test_refused_operations_inside_a_bulk_are_kept_under_its_request_id(
        admin: AdminClient, scim: ScimClient, tenant: Tenant) -> None:
    scim.post("/Users", json={"schemas": [USER], "userName": "taken@acme.test"})
    response = scim.post("/Bulk", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "a",
             "data": {"schemas": [USER], "userName": "fresh@acme.test"}},
            {"method": "POST", "path": "/Users", "bulkId": "b",
             "data": {"schemas": [USER], "userName": "taken@acme.test",
                      "password": "never-kept-1"}},
            {"method": "DELETE", "path": "/Users/00000000-0000-0000-0000-000000000000"}]})
    assert response.status_code == 200
    rows = admin.get(base(tenant) + "/failures").get_json()["data"]
    assert sorted((r["method"], r["path"], r["status"], r["scimType"], r["subject"],
                   r["resource_id"]) for r in rows) == [
        ("DELETE", "/Users/{id}", 404, None, None, "00000000-0000-0000-0000-000000000000"),
        ("POST", "/Users", 409, "uniqueness", "taken@acme.test", None)]
    assert {r["request_id"] for r in rows} == {response.headers["X-Request-Id"]}
    assert all(r["detail"].startswith("Bulk Operations[") for r in rows)
    assert "never-kept-1" not in str(rows)
    report = admin.get(base(tenant) + "/health").get_json()
    assert report["state"] == "healthy", "a Bulk that went through is a successful push"
    assert report["last_push"]["operation"] == "bulk"
