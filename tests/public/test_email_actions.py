"""`/access-requests/{id}?token=`: an admin decides a request from the email, once.

A GET shows and never decides (mail scanners follow links); a POST with the CSRF token
decides as the admin the link was sent to; the link is single use, expires after 7 days
and is bound to one admin and one request.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from conftest import ScimClient
from scim_server import db
from scim_server.models import Account, AuditEvent, EmailedLink, GroupMember, utcnow
from tests.admin.conftest import AdminClient
from tests.public.request_pages import (Visitor, account, csrf_of, emails, link_in, requests_of,
                                        result_of)

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture
def jira(make_product: Callable[..., dict[str, Any]]) -> str:
    return str(make_product("jira", "Jira", seat_limit=10)["id"])


@pytest.fixture
def make_admin(app: Flask, make_account: Callable[..., str]) -> Callable[[str], str]:
    def _make(email: str) -> str:
        admin_id = make_account(email)
        with app.app_context():
            session = db.new_session(app)
            found = session.get_one(Account, admin_id)
            found.is_org_admin, found.email_verified = True, True
            session.commit()
            session.close()
        return admin_id

    return _make


@pytest.fixture
def filed(app: Flask, client: FlaskClient, jira: str, make_admin: Callable[[str], str],
          make_account: Callable[..., str], make_synced_group: Callable[..., str]
          ) -> dict[str, Any]:
    """A deactivated member of `jira-users` asked through the pages; two admins were told."""
    boss, deputy = make_admin("boss@acme.test"), make_admin("deputy@acme.test")
    person = make_account("sleepy@acme.test", name="Sleepy", status="deactivated")
    make_synced_group("jira-users", users=(person,))
    visitor = Visitor(client)
    asked = visitor.ask(visitor.confirm_link(app, jira, "sleepy@acme.test"),
                        reason="Back from leave")
    assert result_of(asked) == "asked"
    [request] = requests_of(app)
    client.last_csrf = visitor.csrf  # type: ignore[attr-defined]
    return {"boss": boss, "deputy": deputy, "person": person, "request": request.id,
            "boss_url": link_in(emails(app, "access_request_filed", "boss@acme.test")[0],
                                f"/access-requests/{request.id}"),
            "deputy_url": link_in(emails(app, "access_request_filed", "deputy@acme.test")[0],
                                  f"/access-requests/{request.id}")}


def decide(client: FlaskClient, url: str, action: str, **form: str) -> Any:
    """Open the page (for its CSRF field), then press the button of `action`."""
    page = client.get(url)
    if "csrf_token" in text(page):  # an error page has no form: keep the last one seen
        client.last_csrf = csrf_of(text(page))  # type: ignore[attr-defined]
    path, token = url.split("?token=")
    return client.post(f"{path}/{action}", data={
        "csrf_token": getattr(client, "last_csrf", ""), "token": token, **form})


def test_opening_the_link_shows_everything_and_decides_nothing(
        app: Flask, client: FlaskClient, filed: dict[str, Any]) -> None:
    for _ in range(3):  # a mail scanner, a preview, the admin
        page = client.get(filed["boss_url"])
        assert page.status_code == 200
    body = text(page)
    for fact in ("Sleepy", "sleepy@acme.test", "Pending", "Deactivated", "invited",
                 "jira-users", "Never", "Seats left", "Back from leave", "the request page"):
        assert fact in body, fact
    assert ">Approve</button>" in body and ">Deny access</button>" in body
    assert '<select id="role" name="role">' in body and "<script" not in body
    assert [r.status for r in requests_of(app)] == ["pending"]
    assert filed["boss_url"] != filed["deputy_url"]  # one link per admin


def test_one_click_approves_as_that_admin_and_the_link_then_stops(
        app: Flask, client: FlaskClient, filed: dict[str, Any]) -> None:
    approved = decide(client, filed["boss_url"], "approve", role="user")
    assert (approved.status_code, result_of(approved)) == (200, "approved")
    [request] = requests_of(app)
    assert (request.status, request.decided_by) == ("approved", f"account:{filed['boss']}")
    assert account(app, filed["person"]).status == "active"
    with app.app_context():
        session = db.new_session(app, writes=False)
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "access_request.approved")).one()
        groups = session.scalars(select(GroupMember.group_id).where(
            GroupMember.member_id == filed["person"])).all()
        session.close()
    assert (event.actor_type, event.actor_id) == ("account", filed["boss"])
    assert len(groups) == 1  # the old group is still theirs
    again = decide(client, filed["boss_url"], "approve", role="user")
    assert (again.status_code, result_of(again)) == (409, "used")
    assert result_of(client.get(filed["boss_url"])) == "used"
    # The other admin's link now shows the decision, with nothing to press.
    other = client.get(filed["deputy_url"])
    assert result_of(other) == "approved" and "<form" not in text(other)


def test_deny_needs_a_message_and_the_person_sees_it(
        app: Flask, client: FlaskClient, filed: dict[str, Any], jira: str) -> None:
    empty = decide(client, filed["deputy_url"], "deny", message="  ")
    assert empty.status_code == 422 and "Write a message" in text(empty)
    assert requests_of(app)[0].status == "pending"
    denied = decide(client, filed["deputy_url"], "deny", message="Licences frozen until May")
    assert (denied.status_code, result_of(denied)) == (200, "denied")
    [request] = requests_of(app)
    assert (request.status, request.decision_message) == ("denied", "Licences frozen until May")
    visitor = Visitor(client)
    page = client.get(visitor.confirm_link(app, jira, "sleepy@acme.test"))
    assert result_of(page) == "request-denied" and "Licences frozen until May" in text(page)


def test_a_link_is_bound_to_its_request_and_its_admin(
        app: Flask, client: FlaskClient, filed: dict[str, Any], jira: str,
        make_account: Callable[..., str]) -> None:
    make_account("second@acme.test", status="deactivated")
    visitor = Visitor(client)
    visitor.ask(visitor.confirm_link(app, jira, "second@acme.test"))
    second = [r for r in requests_of(app) if r.id != filed["request"]][0]
    token = filed["boss_url"].split("token=")[1]
    foreign = client.get(f"/access-requests/{second.id}?token={token}")
    assert (foreign.status_code, result_of(foreign)) == (404, "foreign")
    forced = decide(client, f"/access-requests/{second.id}?token={token}", "approve")
    assert result_of(forced) == "foreign"
    assert {r.status for r in requests_of(app)} == {"pending"}
    # The admin it was sent to stops being an admin: their link stops working.
    with app.app_context():
        session = db.new_session(app)
        session.get_one(Account, filed["boss"]).is_org_admin = False
        session.commit()
        session.close()
    demoted = decide(client, filed["boss_url"], "approve")
    assert (demoted.status_code, result_of(demoted)) == (403, "no-longer-admin")
    assert {r.status for r in requests_of(app)} == {"pending"}


def test_csrf_expiry_and_unknown_links(app: Flask, client: FlaskClient,
                                       filed: dict[str, Any]) -> None:
    path, token = filed["boss_url"].split("?token=")
    no_csrf = client.post(f"{path}/approve", data={"token": token})
    assert (no_csrf.status_code, result_of(no_csrf)) == (403, "csrf")
    assert requests_of(app)[0].status == "pending"
    with app.app_context():
        session = db.new_session(app)
        session.execute(update(EmailedLink).where(EmailedLink.kind == "review_request")
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        session.close()
    expired = client.get(filed["boss_url"])
    assert (expired.status_code, result_of(expired)) == (410, "expired")
    assert "admin console" in text(expired)
    assert result_of(decide(client, filed["boss_url"], "approve")) == "expired"
    unknown = client.get(f"{path}?token=scimsrv_rv_forged")
    assert (unknown.status_code, result_of(unknown)) == (404, "invalid")
    assert result_of(client.get(path)) == "invalid"
    assert requests_of(app)[0].status == "pending"


def test_review_links_last_seven_days(app: Flask, filed: dict[str, Any]) -> None:
    with app.app_context():
        session = db.new_session(app, writes=False)
        links = session.scalars(select(EmailedLink).where(
            EmailedLink.kind == "review_request")).all()
        session.close()
    assert {(link.account_id, link.request_id) for link in links} == {
        (filed["boss"], filed["request"]), (filed["deputy"], filed["request"])}
    for link in links:
        assert link.expires_at - link.created_at == timedelta(days=7)
        assert link.token_hash not in filed["boss_url"] + filed["deputy_url"]


def test_approving_a_deprovisioned_requester_is_refused_on_the_page(
        app: Flask, client: FlaskClient, scim: ScimClient, jira: str,
        make_admin: Callable[[str], str], admin: AdminClient) -> None:
    make_admin("boss@acme.test")
    user = scim.post("/Users", json={"schemas": [CORE], "userName": "leaver@acme.test",
                                     "emails": [{"value": "leaver@acme.test"}]}).get_json()
    visitor = Visitor(client)
    assert result_of(visitor.ask(visitor.confirm_link(app, jira, "leaver@acme.test"))) == "asked"
    [request] = requests_of(app)
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    url = link_in(emails(app, "access_request_filed", "boss@acme.test")[0],
                  f"/access-requests/{request.id}")
    refused = decide(client, url, "approve")
    assert (refused.status_code, result_of(refused)) == (409,
                                                        "deprovisioned-by-identity-provider")
    assert "Acme directory" in text(refused) and "identity provider" in text(refused)
    assert requests_of(app)[0].status == "pending"
    assert account(app, user["id"]).status == "deactivated"
    assert client.get(url).status_code == 200  # the refusal did not spend the link


def test_odd_input_on_the_review_page_gets_a_page_never_a_500(
        app: Flask, client: FlaskClient, filed: dict[str, Any]) -> None:
    path, token = filed["boss_url"].split("?token=")
    assert client.get(f"{path}?token=%00").status_code == 404
    assert client.get(f"/access-requests/%00?token={token}").status_code == 404
    odd_role = decide(client, filed["boss_url"], "approve", role="owner\x00")
    assert (odd_role.status_code, result_of(odd_role)) == (422, "invalid")
    assert requests_of(app)[0].status == "pending"
    denied = decide(client, filed["boss_url"], "deny", message="no\x00 thanks")
    assert (denied.status_code, result_of(denied)) == (200, "denied")
    assert requests_of(app)[0].decision_message == "no thanks"
