"""`access-requests`: filing rules, review details, decisions, emails, races, settings."""
from __future__ import annotations

import threading
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from conftest import Tenant
from scim_server import db
from scim_server.models import (AccessRequest, Account, AuditEvent, Organization, OutboxMessage,
                                ProductGrant)
from scim_server.services import admin_keys
from scim_server.services.actors import Actor
from tests.admin.conftest import AdminClient, problem
from tests.admin.test_openapi import CheckedClient


@pytest.fixture
def person(app: Flask, make_account: Callable[..., str]) -> Callable[..., str]:
    """Factory: an account with a verified email (as a directory or invitation makes it)."""

    def _make(email: str, *, verified: bool = True, org_admin: bool = False,
              **kwargs: Any) -> str:
        account_id = make_account(email, **kwargs)
        with app.app_context():
            session = db.new_session(app)
            account = session.get_one(Account, account_id)
            account.email_verified, account.is_org_admin = verified, org_admin
            session.commit()
            session.close()
        return account_id

    return _make


@pytest.fixture
def product_service(app: Flask, admin: AdminClient, tenant: Tenant) -> AdminClient:
    """A client with a `product-service` key, as a product filing on a person's behalf."""
    with app.app_context():
        session = db.new_session(app)
        org = session.get_one(Organization, tenant.org_id)
        key = admin_keys.issue_admin_key(session, org, ["product-service"], Actor.cli())
        session.commit()
        session.close()
    return admin.with_key(key.secret)


def snapshot(app: Flask) -> tuple[int, int, int, int]:
    """Requests, emails, grants and access-request audit events: what a refusal must not add."""
    with app.app_context():
        session = db.new_session(app, writes=False)
        counts = tuple(int(session.scalar(select(func.count()).select_from(model)) or 0)
                       for model in (AccessRequest, OutboxMessage, ProductGrant))
        events = int(session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.like("access_request.%"))) or 0)
        session.close()
    return (*counts, events)  # type: ignore[return-value]


def emails(app: Flask, template: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        stmt = select(OutboxMessage).order_by(OutboxMessage.to)
        if template:
            stmt = stmt.where(OutboxMessage.template == template)
        rows = list(session.scalars(stmt))
        session.close()
    return rows


def test_file_once_and_review_with_everything_an_admin_needs(
        app: Flask, admin: AdminClient, product_service: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]], make_synced_group: Callable[..., str],
        site_id: str) -> None:
    boss = person("boss@acme.test", org_admin=True, name="Boss")
    person("quiet-admin@acme.test", org_admin=True, status="deactivated")
    ann = person("ann@acme.test", name="Ann", synced=True)
    make_synced_group("Engineering", users=(ann,))
    wiki = make_product("wiki", name="Wiki")
    jira = make_product("jira", name="Jira", seat_limit=3)
    admin.put(f"/products/{wiki['id']}/grants/users/{ann}", json={"role": "user"})
    filed = product_service.post("/access-requests", json={
        "email": "ANN@acme.test", "product_id": jira["id"], "reason": "sprint planning"})
    assert filed.status_code == 201, filed.get_json()
    doc = filed.get_json()
    assert (doc["status"], doc["source"], doc["reason"]) == ("pending", "product",
                                                             "sprint planning")
    again = product_service.post("/access-requests",
                                 json={"account_id": ann, "product_id": jira["id"]})
    assert again.status_code == 200 and again.get_json()["id"] == doc["id"]
    listed = admin.get("/access-requests").get_json()
    assert listed["meta"]["total"] == 1
    row = listed["data"][0]
    assert row["account"]["email"] == "ann@acme.test"
    assert (row["account"]["status"], row["account"]["source"]) == ("active", "synced")
    assert [g["name"] for g in row["account"]["groups"]] == ["Engineering"]
    assert row["account"]["product_access"] == [{"product_id": wiki["id"], "role": "user"}]
    assert row["product"] == {"id": jira["id"], "key": "jira", "name": "Jira",
                              "site_id": site_id, "site_name": row["product"]["site_name"],
                              "seat_limit": 3, "seats_left": 3}
    assert row["product"]["site_name"]
    filed_emails = emails(app, "access_request_filed")
    assert [m.to for m in filed_emails] == ["boss@acme.test"]  # active admins only
    assert "Ann" in filed_emails[0].subject and "sprint planning" in filed_emails[0].body_text
    assert f"/access-requests/{doc['id']}" in filed_emails[0].body_text
    assert admin.get(f"/users/{boss}").get_json()["status"] == "active"


def test_list_is_newest_first_across_sites_and_filters_by_status(
        admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    other_site = admin.post("/sites", json={"name": "Second"}).get_json()["id"]
    products = [make_product("jira"), make_product("bamboo", site=other_site),
                make_product("wiki")]
    ids = []
    for index, product in enumerate(products):
        account = person(f"p{index}@acme.test")
        ids.append(admin.post("/access-requests", json={"account_id": account,
                                                        "product_id": product["id"]}
                              ).get_json()["id"])
    admin.post(f"/access-requests/{ids[0]}/deny", json={"message": "no"})
    page = admin.get("/access-requests?limit=1").get_json()
    assert [r["id"] for r in page["data"]] == [ids[2]] and page["meta"]["total"] == 2
    rest = admin.get(page["links"]["next"].replace("http://scim.test", "")).get_json()
    assert [r["id"] for r in rest["data"]] == [ids[1]] and rest["links"]["next"] is None
    assert {r["product"]["site_id"] for r in page["data"] + rest["data"]} >= {other_site}
    everything = admin.get("/access-requests?status=all").get_json()["data"]
    assert [r["id"] for r in everything] == ids[::-1]
    assert [r["id"] for r in admin.get("/access-requests?status=denied").get_json()["data"]] \
        == [ids[0]]
    problem(admin.get("/access-requests?status=maybe"), 400)


def test_each_refusal_is_a_clear_problem_and_changes_nothing(
        app: Flask, admin: AdminClient, product_service: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]], site_id: str) -> None:
    person("boss@acme.test", org_admin=True)
    jira = make_product("jira", name="Jira")
    unverified = person("new@acme.test", verified=False)
    removed = person("gone@acme.test")
    holder = person("has@acme.test")
    sleeper = person("sleepy@acme.test", status="deactivated")
    admin.delete(f"/users/{removed}/sites/{site_id}")
    admin.put(f"/products/{jira['id']}/grants/users/{holder}", json={"role": "admin"})
    before = snapshot(app)

    def refused(body: dict[str, Any], status: int, slug: str) -> dict[str, Any]:
        found = problem(product_service.post("/access-requests",
                                             json={"product_id": jira["id"], **body}), status)
        assert found["type"].endswith("/" + slug), found
        assert snapshot(app) == before
        return found

    assert "not verified" in refused({"account_id": unverified}, 403,
                                     "email-not-verified")["detail"]
    gone = refused({"account_id": removed}, 403, "removed-from-site")
    assert "add them back to the site" in gone["detail"] and gone["site_id"] == site_id
    held = refused({"email": "has@acme.test"}, 409, "already-has-access")
    assert "already has access" in held["detail"] and held["role"] == "admin"
    refused({"email": "nobody@acme.test"}, 404, "not-found")
    refused({"account_id": holder, "email": "has@acme.test"}, 422, "validation-failed")
    refused({}, 422, "validation-failed")
    problem(product_service.post("/access-requests", json={"account_id": holder,
                                                           "product_id": "nope"}), 404)
    assert admin.patch("/access-settings", json={"deactivated_may_request": False}
                       ).status_code == 200
    before = snapshot(app)
    refused({"account_id": sleeper}, 403, "deactivated-may-not-request")
    admin.patch("/access-settings", json={"deactivated_may_request": True})
    assert product_service.post("/access-requests", json={
        "account_id": sleeper, "product_id": jira["id"]}).status_code == 201


def test_approve_grants_the_role_notifies_and_is_idempotent(
        app: Flask, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    ann = person("ann@acme.test")
    jira = make_product("jira", name="Jira")
    request_id = admin.post("/access-requests", json={"account_id": ann,
                                                      "product_id": jira["id"]}).get_json()["id"]
    problem(admin.post(f"/access-requests/{request_id}/approve", json={"role": "owner"}), 422)
    approved = admin.post(f"/access-requests/{request_id}/approve", json={"role": "admin"})
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert (body["status"], body["role"], body["source"]) == ("approved", "admin", "admin")
    assert body["account"]["product_access"] == [{"product_id": jira["id"], "role": "admin"}]
    again = admin.post(f"/access-requests/{request_id}/approve", json={})
    assert again.status_code == 200 and again.get_json()["decided_at"] == body["decided_at"]
    conflict = problem(admin.post(f"/access-requests/{request_id}/deny",
                                  json={"message": "changed my mind"}), 409)
    assert "already approved" in conflict["detail"]
    problem(admin.post(f"/access-requests/{request_id}/reopen"), 409)
    sent = emails(app, "access_request_approved")
    assert [(m.to, m.subject) for m in sent] == [("ann@acme.test",
                                                  "Your request for Jira was approved")]
    assert "your role is admin" in sent[0].body_text
    assert admin.get(f"/users/{ann}").get_json()["product_access"][0]["role"] == "admin"


def test_default_role_and_seat_limit_on_approval(
        app: Flask, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira", seat_limit=1)
    first, second = person("a@acme.test"), person("b@acme.test")
    ids = [admin.post("/access-requests", json={"account_id": a, "product_id": jira["id"]}
                      ).get_json()["id"] for a in (first, second)]
    assert admin.post(f"/access-requests/{ids[0]}/approve").get_json()["role"] == "user"
    listed = admin.get("/access-requests").get_json()["data"]
    assert [(r["id"], r["product"]["seats_left"]) for r in listed] == [(ids[1], 0)]
    before = snapshot(app)
    full = problem(admin.post(f"/access-requests/{ids[1]}/approve"), 409)
    assert full["type"].endswith("/seat-limit-exceeded") and full["seat_limit"] == 1
    assert snapshot(app) == before
    assert admin.get(f"/access-requests/{ids[1]}").get_json()["status"] == "pending"


def test_denial_is_emailed_and_blocks_until_reopened(
        app: Flask, admin: AdminClient, product_service: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    bob = person("bob@acme.test")
    jira = make_product("jira", name="Jira")
    request_id = product_service.post("/access-requests", json={
        "account_id": bob, "product_id": jira["id"]}).get_json()["id"]
    problem(admin.post(f"/access-requests/{request_id}/deny", json={}), 422)
    denied = admin.post(f"/access-requests/{request_id}/deny",
                        json={"message": "Use the team board instead"})
    assert denied.get_json()["status"] == "denied"
    assert denied.get_json()["decision_message"] == "Use the team board instead"
    assert admin.post(f"/access-requests/{request_id}/deny",
                      json={"message": "again"}).get_json()["decision_message"] \
        == "Use the team board instead"
    problem(admin.post(f"/access-requests/{request_id}/approve"), 409)
    [mail] = emails(app, "access_request_denied")
    assert mail.to == "bob@acme.test" and "Use the team board instead" in mail.body_text
    before = snapshot(app)
    blocked = problem(product_service.post("/access-requests", json={
        "account_id": bob, "product_id": jira["id"]}), 403)
    assert blocked["type"].endswith("/request-denied") and blocked["request_id"] == request_id
    assert "until an administrator reopens" in blocked["detail"]
    assert snapshot(app) == before
    problem(product_service.post(f"/access-requests/{request_id}/reopen"), 403)
    reopened = admin.post(f"/access-requests/{request_id}/reopen")
    assert reopened.status_code == 200 and reopened.get_json()["reopened_at"]
    assert admin.post(f"/access-requests/{request_id}/reopen").get_json()["reopened_at"] \
        == reopened.get_json()["reopened_at"]
    refiled = product_service.post("/access-requests", json={"account_id": bob,
                                                             "product_id": jira["id"]})
    assert refiled.status_code == 201 and refiled.get_json()["id"] != request_id


def test_approving_a_deactivated_account_brings_it_back_whole(
        admin: AdminClient, person: Callable[..., str], make_synced_group: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    cy = person("cy@acme.test")
    group = make_synced_group("Design", users=(cy,))
    figma = make_product("figma")
    admin.put(f"/products/{figma['id']}/grants/groups/{group}", json={"role": "user"})
    admin.post(f"/users/{cy}/deactivate")
    request_id = admin.post("/access-requests", json={"account_id": cy,
                                                      "product_id": figma["id"]}
                            ).get_json()["id"]
    approved = admin.post(f"/access-requests/{request_id}/approve").get_json()
    assert approved["account"]["status"] == "active"
    user = admin.get(f"/users/{cy}").get_json()
    assert [g["name"] for g in user["groups"]] == ["Design"]
    assert [r["type"] for r in user["product_access"][0]["routes"]] == ["group"]


def test_two_admins_deciding_at_once_leave_one_decision(
        app: Flask, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira")
    dee = person("dee@acme.test")
    request_id = admin.post("/access-requests", json={"account_id": dee,
                                                      "product_id": jira["id"]}).get_json()["id"]
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def decide(action: str, body: dict[str, Any]) -> None:
        local = app.test_client()
        barrier.wait()
        statuses[action] = local.post(f"{admin.tenant.admin_base}/access-requests/"
                                      f"{request_id}/{action}", json=body,
                                      headers={"Authorization": f"Bearer {admin.key}"}
                                      ).status_code

    threads = [threading.Thread(target=decide, args=("approve", {})),
               threading.Thread(target=decide, args=("deny", {"message": "no"}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses.values()) == [200, 409]
    final = admin.get(f"/access-requests/{request_id}").get_json()["status"]
    winner = "approve" if final == "approved" else "deny"
    assert statuses[winner] == 200
    decided = [m.template for m in emails(app) if m.to == "dee@acme.test"]
    assert decided == [f"access_request_{final}"]
    has_grant = bool(admin.get(f"/users/{dee}").get_json()["product_access"])
    assert has_grant == (final == "approved")


def test_user_interests_show_what_people_ask_for(
        admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira, wiki = make_product("jira", name="Jira"), make_product("wiki", name="Wiki")
    asked = [admin.post("/access-requests", json={"account_id": person(f"u{i}@acme.test"),
                                                  "product_id": jira["id"]}).get_json()["id"]
             for i in range(3)]
    admin.post("/access-requests", json={"account_id": person("w@acme.test"),
                                         "product_id": wiki["id"]})
    admin.post(f"/access-requests/{asked[0]}/approve")
    admin.post(f"/access-requests/{asked[1]}/deny", json={"message": "no"})
    page = admin.get("/user-interests?window=7d").get_json()
    assert page["meta"]["total"] == 2 and page["links"]["next"] is None
    top = page["data"][0]
    assert (top["product_name"], top["requests"], top["requesters"], top["approved"],
            top["denied"], top["pending"]) == ("Jira", 3, 3, 1, 1, 1)
    assert top["median_decision_seconds"] >= 0 and top["previous_requests"] == 0
    assert (top["change"], top["change_percent"]) == (3, None)
    assert admin.get("/user-interests").get_json()["meta"]["total"] == 2  # 30 days by default
    problem(admin.get("/user-interests?window=1y"), 400)


def test_two_filings_at_once_leave_one_pending_request(
        app: Flask, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira")
    eve = person("eve@acme.test")
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def file() -> None:
        local = app.test_client()
        barrier.wait()
        response = local.post(f"{admin.tenant.admin_base}/access-requests",
                              json={"account_id": eve, "product_id": jira["id"]},
                              headers={"Authorization": f"Bearer {admin.key}"})
        answers.append((response.status_code, response.get_json()["id"]))

    threads = [threading.Thread(target=file) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(status for status, _id in answers) == [200, 201]
    assert len({request_id for _status, request_id in answers}) == 1
    assert snapshot(app)[0] == 1


def test_a_page_costs_the_same_queries_whatever_its_size(
        app: Flask, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]],
        make_synced_group: Callable[..., str]) -> None:
    products = [make_product("jira"), make_product("wiki")]
    for index in range(12):
        account = person(f"n{index}@acme.test")
        make_synced_group(f"team-{index}", users=(account,))
        admin.post("/access-requests", json={"account_id": account,
                                             "product_id": products[index % 2]["id"]})
    engine = app.extensions[db.EXTENSION_KEY][0]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    def queries(limit: int) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = admin.get(f"/access-requests?limit={limit}").get_json()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(page["data"]) == limit
        assert all(r["account"]["groups"] for r in page["data"])
        return len(statements)

    assert queries(2) == queries(12)


def test_live_responses_match_the_openapi_document(
        client: FlaskClient, tenant: Tenant, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    spec = client.get("/admin/v1/openapi.json").get_json()
    api = CheckedClient(client, tenant, spec)
    jira = make_product("jira", seat_limit=5)
    ann, bob = person("ann@acme.test"), person("bob@acme.test")
    first = api.post("/access-requests", json={"account_id": ann, "product_id": jira["id"],
                                               "reason": "r"}).get_json()["id"]
    api.post("/access-requests", json={"email": "ann@acme.test", "product_id": jira["id"]})
    second = api.post("/access-requests", json={"account_id": bob, "product_id": jira["id"]}
                      ).get_json()["id"]
    api.get("/access-requests?status=all&limit=1")
    api.get(f"/access-requests/{first}")
    api.post(f"/access-requests/{first}/approve", json={"role": "admin"})
    api.post(f"/access-requests/{second}/deny", json={"message": "no"})
    api.post(f"/access-requests/{second}/reopen")
    api.get("/user-interests?window=90d")
    api.post("/activity", json={"account_id": ann, "product_id": jira["id"]})
    api.get("/inactive-users?days=1")
    api.post("/inactive-users/deactivate", json={"days": 1, "dry_run": True})
    api.post("/domains", json={"domain": "acme.example", "product_id": jira["id"]})
    api.get("/domains")
    api.get("/access-settings")
    api.patch("/access-settings", json={"signup_any_domain": True})
    assert {status for _m, _t, status in api.checked} == {200, 201}
