"""The public pages find an address the way SCIM stored it: one person, one account.

"İlker" and a word-final "Σ" fold one character for one (the rule SCIM and PostgreSQL's
`lower()` use), so sign-up and request-access reach the account a directory pushed, and
a directory links the account a sign-up made. Domains stay DNS names: an "İ" in a
domain is another domain than "i", so such an address is refused rather than folded
onto someone else's.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from conftest import ScimClient
from scim_server import db
from scim_server.models import Account, EmailedLink
from tests.admin.conftest import AdminClient
from tests.admin.test_email_matching import ADDRESSES, accounts, push
from tests.public.request_pages import Visitor, emails, requests_of, result_of



def sign_up(client: FlaskClient, email: str, product_id: str) -> Any:
    return client.post("/signup", json={"email": email, "product_id": product_id})


@pytest.mark.parametrize("email", ADDRESSES)
def test_a_sign_up_reaches_the_account_scim_pushed(
        app: Flask, client: FlaskClient, scim: ScimClient, admin: AdminClient, jira: str,
        email: str) -> None:
    admin.post("/domains", json={"domain": "acme.test", "product_id": jira,
                                 "approval_required": True})
    user = push(scim, email)
    assert sign_up(client, email, jira).status_code == 202
    assert [a[0] for a in accounts(app)] == [user["id"]]
    assert [r.account_id for r in requests_of(app)] == [user["id"]]


@pytest.mark.parametrize("email", ADDRESSES)
def test_scim_links_the_account_a_sign_up_made(
        app: Flask, client: FlaskClient, scim: ScimClient, admin: AdminClient, jira: str,
        email: str) -> None:
    admin.post("/domains", json={"domain": "acme.test", "product_id": jira,
                                 "approval_required": True})
    assert sign_up(client, email, jira).status_code == 202
    [(signed_up, _email, source)] = accounts(app)
    assert source == "self_signup"
    assert push(scim, email)["id"] == signed_up
    assert len(accounts(app)) == 1


@pytest.mark.parametrize("email", ADDRESSES)
def test_request_access_confirms_the_account_scim_pushed(
        app: Flask, client: FlaskClient, scim: ScimClient, jira: str, email: str) -> None:
    user = push(scim, email)
    visitor = Visitor(client)
    url = visitor.confirm_link(app, jira, email)
    opened = client.get(url)
    assert opened.status_code == 200
    assert ">Request access</button>" in opened.get_data(as_text=True)
    asked = visitor.ask(url)
    assert (asked.status_code, result_of(asked)) == (200, "asked")
    assert [r.account_id for r in requests_of(app)] == [user["id"]]


def test_a_confirmation_link_is_bound_to_the_folded_address(
        app: Flask, client: FlaskClient, jira: str) -> None:
    sent = Visitor(client).send_link(jira, " İlker@acme.test")
    assert (sent.status_code, result_of(sent)) == (200, "check_email")
    with app.app_context():
        session = db.new_session(app, writes=False)
        assert session.scalars(select(EmailedLink.email_norm)).all() == ["ilker@acme.test"]
        session.close()


DOTTED_DOMAIN = "ceo@İacme.test"  # "İacme.test" is xn--iacme-7fd.test, not iacme.test


def test_a_sign_up_at_a_domain_that_folds_onto_another_is_refused(
        app: Flask, client: FlaskClient, admin: AdminClient, jira: str,
        make_account: Callable[..., str]) -> None:
    admin.patch("/access-settings", json={"signup_any_domain": True})
    ceo = make_account("ceo@iacme.test")
    response = sign_up(client, DOTTED_DOMAIN, jira)
    assert response.status_code == 422, response.get_json()
    assert "domain" in " ".join(response.get_json()["errors"]["email"])
    assert [a[0] for a in accounts(app)] == [ceo]
    assert requests_of(app) == [] and emails(app, "invitation") == []


def test_request_access_at_a_domain_that_folds_onto_another_is_refused(
        app: Flask, client: FlaskClient, jira: str, make_account: Callable[..., str]) -> None:
    make_account("ceo@iacme.test")
    response = Visitor(client).send_link(jira, DOTTED_DOMAIN)
    assert response.status_code == 422
    assert emails(app, "request_access_confirm") == []


def test_a_domain_rule_approves_its_addresses_however_the_domain_is_written(
        app: Flask, client: FlaskClient, admin: AdminClient, jira: str) -> None:
    """A rule keeps its domain as DNS does (IDNA); an address's domain is read the same way."""
    rule = admin.post("/domains", json={"domain": "École.test", "product_id": jira,
                                        "approval_required": True})
    assert rule.status_code == 201, rule.get_json()
    for email in ("ada@école.test", "bob@ÉCOLE.TEST", "cy@xn--cole-9oa.test"):
        assert sign_up(client, email, jira).status_code == 202, email
    assert len(requests_of(app)) == 3
    with app.app_context():
        session = db.new_session(app, writes=False)
        assert sorted(session.scalars(select(Account.email_norm))) == [
            "ada@école.test", "bob@école.test", "cy@xn--cole-9oa.test"]
        session.close()
