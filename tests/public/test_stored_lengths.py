"""Public entries refuse an address the server cannot keep, and never answer 500 for text
longer than a column: `POST /signup` with a 422 problem, `/request-access` with its page.

The limits come from the columns the models declare (tests/lengths_support.py).
"""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scim_server import db
from scim_server.models import Account, EmailedLink, OutboxMessage
from tests.admin.conftest import AdminClient, problem
from tests.lengths_support import address, dotted_at_the_limit, kept
from tests.public.request_pages import Visitor, emails, requests_of, result_of




def rows(app: Flask, model: Any) -> int:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = int(session.scalar(select(func.count()).select_from(model)) or 0)
        session.close()
    return found


@pytest.mark.parametrize("email", [address("ada", kept(Account.email) + 1)], ids=["long"])
def test_signup_refuses_an_address_too_long_to_keep(app: Flask, client: FlaskClient,
                                                    admin: AdminClient, jira: str,
                                                    email: str) -> None:
    admin.patch("/access-settings", json={"signup_any_domain": True})
    response = client.post("/signup", json={"email": email, "product_id": jira})
    body = problem(response, 422)
    assert any(str(kept(Account.email)) in message for message in body["errors"]["email"])
    assert rows(app, Account) == 0


@pytest.mark.parametrize("email", [address("ada", kept(Account.email) + 1)], ids=["long"])
def test_request_access_shows_the_address_error_on_its_form(app: Flask, client: FlaskClient,
                                                            jira: str, email: str) -> None:
    response = Visitor(client).send_link(jira, email)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="email-error"' in html
    error = re.search(r'<p class="error" id="email-error">([^<]+)</p>', html)
    assert error and str(kept(Account.email)) in error.group(1), html
    assert rows(app, EmailedLink) == 0


def test_an_address_as_long_as_the_columns_keep_signs_up_and_asks(
        app: Flask, client: FlaskClient, admin: AdminClient, jira: str) -> None:
    """Its norm folds one character for one ("İ" is "i"), so it fits as the address does."""
    email = dotted_at_the_limit()
    admin.patch("/access-settings", json={"signup_any_domain": True})
    assert client.post("/signup", json={"email": email, "product_id": jira}).status_code == 202
    sent = Visitor(client).send_link(jira, email)
    assert (sent.status_code, result_of(sent)) == (200, "check_email")
    assert rows(app, Account) == 1 and rows(app, EmailedLink) == 1


def test_a_person_with_the_longest_name_and_address_can_ask(
        app: Flask, client: FlaskClient, jira: str, boss: str,
        make_account: Callable[..., str]) -> None:
    """The admins' email subject "<name> asks for access to <product>" is shortened to
    its column, not refused: the person did nothing wrong."""
    email = address("ada", kept(Account.email))
    make_account(email, name="N" * kept(Account.display_name))
    visitor = Visitor(client)
    asked = visitor.ask(visitor.confirm_link(app, jira, email), reason="for the sprint")
    assert (asked.status_code, result_of(asked)) == (200, "asked")
    assert len(requests_of(app)) == 1
    [notice] = emails(app, "access_request_filed")
    assert len(notice.subject) <= kept(OutboxMessage.subject)
