"""`/request-access`: confirm an address by email, then ask; every refusal is a page.

The story is the community thread in shared/reference: a deactivated person who wants to
come back must find a way to ask, not just a login page.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from conftest import ScimClient
from scim_server import db
from scim_server.models import EmailedLink, utcnow
from tests.admin.conftest import AdminClient
from tests.public.request_pages import (Visitor, account, csrf_of, emails, link_in, requests_of,
                                        result_of)

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"




@pytest.fixture
def visitor(client: FlaskClient) -> Visitor:
    return Visitor(client)


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_the_form_names_the_product_and_has_no_script(visitor: Visitor, jira: str) -> None:
    page = visitor.start(jira)
    assert page.status_code == 200 and page.mimetype == "text/html"
    body = text(page)
    assert "Request access to Jira" in body and 'label for="email">Email address' in body
    assert "<script" not in body and "/static/site.css" in body
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert "HttpOnly" in page.headers["Set-Cookie"] and "SameSite=Strict" in page.headers[
        "Set-Cookie"]


def test_unknown_product_and_bad_address_get_pages_that_say_what_to_do(
        app: Flask, visitor: Visitor, client: FlaskClient, jira: str) -> None:
    missing = visitor.start("no-such-product")
    assert missing.status_code == 404 and result_of(missing) == "not-found"
    assert "Check the link" in text(missing)
    assert client.get("/request-access").status_code == 404
    bad = visitor.send_link(jira, "not-an-address")
    assert bad.status_code == 422 and "Enter an email address" in text(bad)
    assert 'aria-invalid="true"' in text(bad)
    assert emails(app, "request_access_confirm") == []


def test_the_first_answer_never_tells_who_has_an_account(
        app: Flask, visitor: Visitor, jira: str, make_account: Callable[..., str],
        scim: ScimClient, admin: AdminClient) -> None:
    """No enumeration: active, deactivated, deprovisioned, denied and unknown addresses all
    get the same "check your email", and every one of them is emailed."""
    make_account("active@acme.test")
    make_account("sleepy@acme.test", status="deactivated")
    user = scim.post("/Users", json={"schemas": [CORE], "userName": "gone@acme.test",
                                     "emails": [{"value": "gone@acme.test"}]}).get_json()
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    addresses = ["active@acme.test", "sleepy@acme.test", "gone@acme.test",
                 "nobody@acme.test"]
    bodies = set()
    for address in addresses:
        sent = visitor.send_link(jira, address)
        assert (sent.status_code, result_of(sent)) == (200, "check_email")
        bodies.add(text(sent).replace(address, "ADDRESS").split('name="csrf_token"')[0])
    assert len(bodies) == 1
    assert sorted(m.to for m in emails(app, "request_access_confirm")) == sorted(addresses)
    assert requests_of(app) == []


def test_a_deactivated_person_confirms_and_asks(
        app: Flask, visitor: Visitor, jira: str, boss: str,
        make_account: Callable[..., str]) -> None:
    sleepy = make_account("sleepy@acme.test", status="deactivated")
    url = visitor.confirm_link(app, jira, "Sleepy@Acme.test")
    assert url.startswith("/request-access/confirm?token=scimsrv_ra_")
    [mail] = emails(app, "request_access_confirm")
    assert mail.to == "Sleepy@Acme.test" and "Jira" in mail.subject
    # Opening the link (as a mail scanner would, twice) changes nothing.
    for _ in range(2):
        opened = visitor.client.get(url)
        assert opened.status_code == 200
        assert ">Request access</button>" in text(opened) and "is deactivated" in text(opened)
    assert requests_of(app) == [] and account(app, sleepy).email_verified is False

    asked = visitor.ask(url, reason="Back from leave, need the board")
    assert (asked.status_code, result_of(asked)) == (200, "asked")
    assert "administrators of Acme were notified" in text(asked)
    [filed] = requests_of(app)
    assert (filed.account_id, filed.product_id, filed.status, filed.source, filed.reason) == (
        sleepy, jira, "pending", "requester", "Back from leave, need the board")
    assert account(app, sleepy).email_verified is True
    [notice] = emails(app, "access_request_filed", "boss@acme.test")
    assert "Back from leave" in notice.body_text
    assert link_in(notice, f"/access-requests/{filed.id}").startswith(
        f"/access-requests/{filed.id}?token=scimsrv_rv_")

    # The link works once.
    again = visitor.client.post("/request-access/confirm", data={
        "csrf_token": csrf_of(text(visitor.start(jira))), "token": url.split("token=")[1]})
    assert (again.status_code, result_of(again)) == (409, "used")
    assert result_of(visitor.client.get(url)) == "used"
    # A new link, while the request waits: "already asked", and nothing new is filed.
    second = visitor.confirm_link(app, jira, "sleepy@acme.test")
    assert result_of(visitor.client.get(second)) == "pending"
    assert "You already asked" in text(visitor.client.get(second))
    assert result_of(visitor.ask(second)) == "pending"
    assert len(requests_of(app)) == 1


def test_a_denied_person_sees_the_message_and_cannot_ask_until_reopened(
        app: Flask, visitor: Visitor, jira: str, admin: AdminClient,
        make_account: Callable[..., str]) -> None:
    person = make_account("denied@acme.test", status="deactivated")
    asked = visitor.ask(visitor.confirm_link(app, jira, "denied@acme.test"))
    assert result_of(asked) == "asked"
    [filed] = requests_of(app)
    denied = admin.post(f"/access-requests/{filed.id}/deny",
                        json={"message": "Jira licences are frozen until January"})
    assert denied.status_code == 200
    url = visitor.confirm_link(app, jira, "denied@acme.test")
    page = visitor.client.get(url)
    assert (page.status_code, result_of(page)) == (403, "request-denied")
    assert "Jira licences are frozen until January" in text(page)
    assert "cannot ask again until an administrator reopens" in text(page)
    assert "<form" not in text(page)
    refused = visitor.client.post("/request-access/confirm", data={
        "csrf_token": csrf_of(text(visitor.start(jira))), "token": url.split("token=")[1]})
    assert (refused.status_code, result_of(refused)) == (403, "request-denied")
    assert len(requests_of(app, person)) == 1
    assert admin.post(f"/access-requests/{filed.id}/reopen").status_code == 200
    assert result_of(visitor.ask(url)) == "asked"
    assert len(requests_of(app, person)) == 2


@pytest.mark.parametrize("how", ["delete", "inactive"])
def test_a_person_the_identity_provider_deprovisioned_is_sent_to_their_it_team(
        app: Flask, visitor: Visitor, jira: str, scim: ScimClient, how: str,
        boss: str) -> None:
    user = scim.post("/Users", json={"schemas": [CORE], "userName": "left@acme.test",
                                     "emails": [{"value": "left@acme.test"}]}).get_json()
    if how == "delete":
        assert scim.delete(f"/Users/{user['id']}").status_code == 204
    else:
        assert scim.patch(f"/Users/{user['id']}", json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}]}
        ).status_code in (200, 204)
    url = visitor.confirm_link(app, jira, "left@acme.test")
    page = visitor.client.get(url)
    assert (page.status_code, result_of(page)) == (409, "deprovisioned-by-identity-provider")
    assert "Contact your IT team" in text(page) and "No request was sent" in text(page)
    assert "<form" not in text(page)
    forced = visitor.client.post("/request-access/confirm", data={
        "csrf_token": csrf_of(text(visitor.start(jira))), "token": url.split("token=")[1]})
    assert result_of(forced) == "deprovisioned-by-identity-provider"
    assert requests_of(app) == [] and emails(app, "access_request_filed") == []


def test_the_organization_may_refuse_deactivated_people(
        app: Flask, visitor: Visitor, jira: str, admin: AdminClient,
        make_account: Callable[..., str]) -> None:
    make_account("sleepy@acme.test", status="deactivated")
    assert admin.patch("/access-settings", json={"deactivated_may_request": False}
                       ).status_code == 200
    page = visitor.client.get(visitor.confirm_link(app, jira, "sleepy@acme.test"))
    assert (page.status_code, result_of(page)) == (403, "deactivated-may-not-request")
    assert "Contact an administrator of Acme" in text(page)


def test_an_address_without_an_account_learns_it_only_after_confirming(
        app: Flask, visitor: Visitor, jira: str) -> None:
    page = visitor.client.get(visitor.confirm_link(app, jira, "stranger@acme.test"))
    assert (page.status_code, result_of(page)) == (403, "no-account")
    assert "invite you" in text(page) and requests_of(app) == []


def test_forms_without_a_matching_csrf_token_are_refused(
        app: Flask, client: FlaskClient, jira: str, make_account: Callable[..., str],
        make_client: Callable[[], FlaskClient]) -> None:
    make_account("sleepy@acme.test", status="deactivated")
    visitor = Visitor(client)
    token = csrf_of(text(visitor.start(jira)))
    form = {"product": jira, "email": "sleepy@acme.test"}
    assert result_of(client.post("/request-access", data=form)) == "csrf"
    tampered = token.split(".")[0] + "." + "0" * 64
    assert client.post("/request-access",
                       data={**form, "csrf_token": tampered}).status_code == 403
    other = make_client()  # another site's page: it has no cookie of ours
    assert other.post("/request-access", data={**form, "csrf_token": token}).status_code == 403
    assert emails(app, "request_access_confirm") == []
    url = visitor.confirm_link(app, jira, "sleepy@acme.test")
    link_token = url.split("token=")[1]
    assert client.post("/request-access/confirm",
                       data={"token": link_token}).status_code == 403
    assert requests_of(app) == []
    assert result_of(visitor.ask(url)) == "asked"  # the link was not spent by the refusals


def test_an_expired_or_unknown_link_gets_its_own_page(
        app: Flask, visitor: Visitor, jira: str, make_account: Callable[..., str]) -> None:
    make_account("sleepy@acme.test", status="deactivated")
    url = visitor.confirm_link(app, jira, "sleepy@acme.test")
    with app.app_context():
        session = db.new_session(app)
        session.execute(update(EmailedLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        session.close()
    expired = visitor.client.get(url)
    assert (expired.status_code, result_of(expired)) == (410, "expired")
    assert "Start again" in text(expired)
    unknown = visitor.client.get("/request-access/confirm?token=scimsrv_ra_nope")
    assert (unknown.status_code, result_of(unknown)) == (404, "invalid")
    assert result_of(visitor.client.get("/request-access/confirm")) == "invalid"
    assert requests_of(app) == []


def test_links_are_stored_only_as_hashes(app: Flask, visitor: Visitor, jira: str) -> None:
    url = visitor.confirm_link(app, jira, "someone@acme.test")
    token = url.split("token=")[1]
    with app.app_context():
        session = db.new_session(app, writes=False)
        [row] = session.query(EmailedLink).all()
        stored = [str(getattr(row, c.key)) for c in EmailedLink.__table__.columns]
        session.close()
    assert token not in " ".join(stored) and len(row.token_hash) == 64


@pytest.fixture
def make_client(app: Flask) -> Callable[[], FlaskClient]:
    return app.test_client


def test_odd_input_gets_a_page_never_a_500(app: Flask, visitor: Visitor, jira: str,
                                          make_account: Callable[..., str]) -> None:
    """NUL bytes and oversize values (PostgreSQL text refuses NUL) end on a page."""
    for product in ("%00", "x" * 500, "%E2%80%AE"):
        assert visitor.client.get(f"/request-access?product={product}").status_code == 404
    assert visitor.send_link(jira, "a\x00b@acme.test").status_code == 422
    assert visitor.send_link(jira, "a" * 400 + "@acme.test").status_code == 422
    assert visitor.client.get("/request-access/confirm?token=%00").status_code == 404
    make_account("sleepy@acme.test", status="deactivated")
    url = visitor.confirm_link(app, jira, "sleepy@acme.test")
    asked = visitor.ask(url, reason="line one\x00\nline two" + "!" * 5000)
    assert (asked.status_code, result_of(asked)) == (200, "asked")
    [filed] = requests_of(app)
    assert filed.reason is not None and filed.reason.startswith("line one\nline two")
    assert "\x00" not in filed.reason and len(filed.reason) == 2000
