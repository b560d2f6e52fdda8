"""`invitations` and `users/{id}/invite` over the admin API, with real SMTP delivery."""
from __future__ import annotations

from datetime import datetime, timedelta
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
    bulk = scim.post("/Bulk", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"bulk{i}@example.test",
            "emails": [{"value": f"bulk{i}@example.test"}]}} for i in range(3)]})
    assert bulk.status_code == 200, bulk.get_data(as_text=True)
    assert [op["status"] for op in bulk.get_json()["Operations"]] == ["201"] * 3
    assert deliver_all(app, smtp).claimed == []
    assert smtp.received == [] and checked.get("/outbox").get_json()["data"] == []
    for account_id in (quiet["account_id"], synced_id):
        user = checked.get(f"/users/{account_id}").get_json()
        assert user["invitation_status"] == "invitation_not_sent"
    assert checked.get("/invitations?status=invitation_not_sent").get_json()["meta"][
        "total"] == 5  # synced accounts, never invited, are listed too (with id null)
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
    lifetime = (datetime.fromisoformat(invitation["expires_at"])
                - datetime.fromisoformat(invitation["created_at"]))
    assert lifetime == timedelta(days=30)  # the default SCIM_INVITATION_TTL_DAYS


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


def expire(app: Flask, invitation_id: str) -> None:
    """Move an invitation's expiry into the past, as time would."""
    from datetime import timedelta

    from scim_server import db
    from scim_server.models import Invitation, utcnow

    session = db.new_session(app)
    invitation = session.get(Invitation, invitation_id)
    assert invitation is not None
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    session.close()


def accept(client: FlaskClient, token: str) -> Any:
    return client.post("/invitations/accept", json={"token": token})


def test_resend_revoke_and_accept_over_the_api(
        app: Flask, client: FlaskClient, checked: CheckedClient, smtp: SmtpServer) -> None:
    [ann] = invite(checked, emails="ann@example.test")
    deliver_all(app, smtp)
    first_token = token_of(smtp.received[0].part("plain"))
    expire(app, ann["invitation_id"])
    assert checked.get(f"/users/{ann['account_id']}").get_json()[
        "invitation_status"] == "invitation_expired"
    assert [i["id"] for i in checked.get("/invitations?status=invitation_expired")
            .get_json()["data"]] == [ann["invitation_id"]]
    expired = accept(client, first_token)
    assert expired.status_code == 410 and expired.get_json()["reason"] == "expired"
    resent = checked.post(f"/invitations/{ann['invitation_id']}/resend", json={})
    assert resent.status_code == 201
    fresh = resent.get_json()
    assert fresh["id"] != ann["invitation_id"] and fresh["state"] == "pending"
    assert fresh["invitation_status"] == "invitation_pending"
    assert fresh["email_status"] == "queued"
    old = checked.get(f"/invitations/{ann['invitation_id']}").get_json()
    assert old["state"] == "superseded"
    assert [i["id"] for i in checked.get("/invitations").get_json()["data"]] == [fresh["id"]]
    assert checked.get("/invitations?state=superseded").get_json()["meta"]["total"] == 1
    deliver_all(app, smtp)
    second_token = token_of(smtp.received[1].part("plain"))
    assert second_token != first_token
    assert smtp.received[1].message_id != smtp.received[0].message_id
    assert accept(client, first_token).get_json()["reason"] == "superseded"
    accepted = accept(client, second_token)
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["invitation_status"] == "has_site_access"
    assert accept(client, second_token).get_json()["reason"] == "used"
    user = checked.get(f"/users/{ann['account_id']}").get_json()
    assert user["invitation_status"] == "has_site_access"
    problem(checked.post(f"/invitations/{fresh['id']}/resend", json={}), 409)
    problem(checked.post(f"/invitations/{fresh['id']}/revoke", json={}), 409)
    problem(checked.post(f"/users/{ann['account_id']}/invite", json={}), 409)


def test_revoked_links_stop_working_and_nothing_changes(
        app: Flask, client: FlaskClient, checked: CheckedClient, smtp: SmtpServer) -> None:
    [bob] = invite(checked, emails="bob@example.test")
    deliver_all(app, smtp)
    token = token_of(smtp.received[0].part("plain"))
    revoked = checked.post(f"/invitations/{bob['invitation_id']}/revoke", json={})
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert checked.post(f"/invitations/{bob['invitation_id']}/revoke").status_code == 200
    before = checked.get(f"/users/{bob['account_id']}").get_json()
    refused = accept(client, token)
    assert refused.status_code == 410 and refused.get_json()["reason"] == "revoked"
    assert refused.mimetype == "application/problem+json"
    assert checked.get(f"/users/{bob['account_id']}").get_json() == before
    assert before["invitation_status"] == "invitation_not_sent"
    assert checked.get("/invitations?state=revoked").get_json()["meta"]["total"] == 1


def test_unknown_ids_and_bodies(checked: CheckedClient) -> None:
    problem(checked.get("/invitations/nope"), 404)
    problem(checked.post("/invitations/nope/resend", json={}), 404)
    problem(checked.post("/invitations/nope/revoke", json={}), 404)
    problem(checked.post("/users/nope/invite", json={}), 404)
    problem(checked.post("/users/nope/invite", json={"message": 5}), 422)
    problem(checked.get("/invitations?status=sleeping"), 400)
    problem(checked.get("/invitations?state=pending&state=revoked"), 400)


def test_another_organization_sees_none_of_it(
        make_tenant: Callable[..., Tenant],
        make_admin_client: Callable[..., AdminClient]) -> None:
    mine, theirs = make_tenant("Mine"), make_tenant("Theirs")
    me, them = make_admin_client(mine), make_admin_client(theirs)
    [secret] = invite(them, emails="ceo@theirs.test")
    assert me.get("/invitations").get_json()["data"] == []
    assert me.get("/outbox").get_json()["data"] == []
    problem(me.get(f"/invitations/{secret['invitation_id']}"), 404)
    problem(me.post(f"/invitations/{secret['invitation_id']}/resend", json={}), 404)
    problem(me.post(f"/invitations/{secret['invitation_id']}/revoke", json={}), 404)
    problem(me.post(f"/users/{secret['account_id']}/invite", json={}), 404)
    [message] = them.get("/outbox").get_json()["data"]
    problem(me.get(f"/outbox/{message['id']}"), 404)
    problem(me.post(f"/outbox/{message['id']}/retry", json={}), 404)
    [mine_result] = invite(me, emails="ceo@theirs.test")  # same address, other org: new
    assert mine_result["result"] == "invited"
    assert mine_result["account_id"] != secret["account_id"]


def test_a_thousand_addresses_in_one_call(checked: CheckedClient, backend: str,
                                          make_product: Callable[..., dict[str, Any]]) -> None:
    import time

    jira = make_product("jira", seat_limit=990)
    emails = "\n".join(f"person{i:04d}@example.test" for i in range(1000))
    started = time.perf_counter()
    response = checked.post("/invitations", json={
        "emails": emails, "products": [{"product_id": jira["id"], "role": "user"}]})
    elapsed = time.perf_counter() - started
    print(f"\nPOST invitations with 1,000 addresses on {backend}: {elapsed:.2f} s")
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"] == {"total": 1000, "counts": {"invited": 990, "seat_limit": 10}}
    assert [r["result"] for r in body["data"][-10:]] == ["seat_limit"] * 10
    assert checked.get("/invitations?limit=1").get_json()["meta"]["total"] == 990
    assert checked.get("/outbox?limit=1").get_json()["meta"]["total"] == 990
