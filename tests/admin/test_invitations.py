"""`invitations` and `users/{id}/invite` over the admin API, with real SMTP delivery."""
from __future__ import annotations

from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import Tenant
from tests.admin.conftest import AdminClient, problem
from tests.admin.test_openapi import CheckedClient
from tests.smtp_support import SmtpServer, deliver_all


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def checked(client: FlaskClient, tenant: Tenant) -> CheckedClient:
    """An admin client whose every response is validated against the OpenAPI document."""
    spec = client.get("/admin/v1/openapi.json").get_json()
    return CheckedClient(client, tenant, spec)


def token_of(link_text: str) -> str:
    link = next(word for word in link_text.split() if "/invitations/accept?token=" in word)
    return parse_qs(urlsplit(link).query)["token"][0]


def invite(admin: AdminClient, **body: Any) -> list[dict[str, Any]]:
    response = admin.post("/invitations", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.get_json()["data"])


def test_invite_without_products_makes_pending_members_and_emails_them(
        app: Flask, checked: CheckedClient, smtp: SmtpServer) -> None:
    results = invite(checked, emails="ann@example.test, bob@example.test\ncy@example.test",
                     message="Welcome aboard, see you Monday!")
    assert [(r["email"], r["result"]) for r in results] == [
        ("ann@example.test", "invited"), ("bob@example.test", "invited"),
        ("cy@example.test", "invited")]
    ann = checked.get(f"/users/{results[0]['account_id']}").get_json()
    assert ann["invitation_status"] == "invitation_pending"
    assert ann["source"] == "invited" and ann["product_access"] == []
    report = deliver_all(app, smtp)
    assert len(report.sent) == 3
    by_rcpt = {r.recipients[0]: r for r in smtp.received}
    assert set(by_rcpt) == {"ann@example.test", "bob@example.test", "cy@example.test"}
    mail = by_rcpt["ann@example.test"]
    assert mail.message["Subject"] == "You're invited to join Acme"
    assert mail.message["To"] == "ann@example.test"
    text, html = mail.part("plain"), mail.part("html")
    assert "Welcome aboard, see you Monday!" in text and "Welcome aboard" in html
    token = token_of(text)
    assert f"http://scim.test/invitations/accept?token={token}" in text
    assert f'href="http://scim.test/invitations/accept?token={token}"' in html
    listed = checked.get("/invitations?status=invitation_pending").get_json()
    assert listed["meta"]["total"] == 3
    assert {i["email_status"] for i in listed["data"]} == {"sent"}
    outbox = checked.get("/outbox").get_json()["data"]
    assert {m["status"] for m in outbox} == {"sent"}
    assert {m["message_id"] for m in outbox} == {r.message_id for r in smtp.received}


def test_send_email_false_and_scim_users_get_no_email_until_an_admin_asks(
        app: Flask, checked: CheckedClient, scim: Any, smtp: SmtpServer) -> None:
    quiet = invite(checked, emails=["quiet@example.test"], send_email=False)[0]
    assert quiet["result"] == "invited"
    pushed = scim.post("/Users", json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "synced@example.test", "emails": [{"value": "synced@example.test"}]})
    assert pushed.status_code == 201, pushed.get_data(as_text=True)
    synced_id = pushed.get_json()["id"]
    assert deliver_all(app, smtp).claimed == []
    assert smtp.received == [] and checked.get("/outbox").get_json()["data"] == []
    for account_id in (quiet["account_id"], synced_id):
        user = checked.get(f"/users/{account_id}").get_json()
        assert user["invitation_status"] == "invitation_not_sent"
    assert checked.get("/invitations?status=invitation_not_sent").get_json()["meta"][
        "total"] == 1  # the synced account has no invitation at all
    sent = checked.post(f"/users/{synced_id}/invite", json={"message": "Now you may"})
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert sent.get_json()["invitation_status"] == "invitation_pending"
    deliver_all(app, smtp)
    assert [r.recipients for r in smtp.received] == [["synced@example.test"]]
    assert "Now you may" in smtp.received[0].part("plain")


def test_one_bad_address_never_sinks_the_others(
        checked: CheckedClient, make_product: Callable[..., dict[str, Any]],
        make_account: Callable[..., str]) -> None:
    jira = make_product("jira", seat_limit=2)
    existing = make_account("old@example.test", has_accessed=True)
    gone = make_account("gone@example.test", status="deactivated")
    results = invite(checked, emails=[
        "a@example.test", "not-an-email", "OLD@example.test", "a@example.test",
        "gone@example.test", "b@example.test", "c@example.test"],
        products=[{"product_id": jira["id"], "role": "user"}])
    assert [(r["email"], r["result"]) for r in results] == [
        ("a@example.test", "invited"), ("not-an-email", "invalid_email"),
        ("OLD@example.test", "already_member"), ("a@example.test", "duplicate"),
        ("gone@example.test", "deactivated"), ("b@example.test", "seat_limit"),
        ("c@example.test", "seat_limit")]
    assert results[2]["account_id"] == existing and results[4]["account_id"] == gone
    assert results[5]["product_id"] == jira["id"] and results[5]["account_id"] is None
    licence = next(lic for lic in checked.get("/licences").get_json()["data"]
                   if lic["product_id"] == jira["id"])
    assert licence["used"] == 2
    emails = {u["email"] for u in checked.get("/users").get_json()["data"]}
    assert "b@example.test" not in emails and "c@example.test" not in emails
    old = checked.get(f"/users/{existing}").get_json()
    assert [p["product_id"] for p in old["product_access"]] == [jira["id"]]
    users = checked.get("/users?q=old@").get_json()["meta"]["total"]
    assert users == 1  # granted, not a second account


def test_products_groups_and_site_role(checked: CheckedClient,
                                       make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira")
    group = checked.post("/groups", json={"name": "Engineers"}).get_json()
    result = invite(checked, emails="dev@example.test", site_role="trusted",
                    products=[{"product_id": jira["id"], "role": "admin"}],
                    groups=[group["id"]])[0]
    user = checked.get(f"/users/{result['account_id']}").get_json()
    assert user["product_access"][0]["role"] == "admin"
    assert [g["id"] for g in user["groups"]] == [group["id"]]
    assert {s["role"] for s in user["sites"]} == {"trusted"}
    invitation = checked.get(f"/invitations/{result['invitation_id']}").get_json()
    assert invitation["products"] == [{"product_id": jira["id"], "role": "admin"}]
    assert invitation["groups"] == [group["id"]] and invitation["site_role"] == "trusted"


def test_request_level_mistakes_are_problems_and_change_nothing(
        checked: CheckedClient, make_synced_group: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira")
    problem(checked.post("/invitations", json={"emails": []}), 422)
    problem(checked.post("/invitations", json={"emails": 5}), 422)
    problem(checked.post("/invitations", json={"emails": "a@x.test", "site_role": "god"}), 422)
    problem(checked.post("/invitations", json={"emails": "a@x.test", "send_email": "no"}), 422)
    problem(checked.post("/invitations", json={"emails": ["x@y.test"] * 1001}), 422)
    problem(checked.post("/invitations", json={
        "emails": "a@x.test", "products": [{"product_id": "nope"}]}), 422)
    problem(checked.post("/invitations", json={
        "emails": "a@x.test", "products": [{"product_id": jira["id"], "role": "owner"}]}), 422)
    problem(checked.post("/invitations", json={"emails": "a@x.test", "groups": ["nope"]}), 404)
    synced = make_synced_group("From the IdP")
    body = problem(checked.post("/invitations", json={"emails": "a@x.test",
                                                      "groups": [synced]}), 409)
    assert body["type"].endswith("/managed-by-directory")
    assert checked.get("/users").get_json()["meta"]["total"] == 0
