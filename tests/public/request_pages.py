"""Helpers for driving the public request pages with the Flask test client."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scim_server import db
from scim_server.models import AccessRequest, Account, OutboxMessage
from scim_server.services.outbox import unseal

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RESULT = re.compile(r'id="result" data-result="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def result_of(response: Any) -> str | None:
    found = RESULT.search(response.get_data(as_text=True))
    return found.group(1) if found else None


def emails(app: Flask, template: str, to: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        stmt = select(OutboxMessage).where(OutboxMessage.template == template)
        if to:
            stmt = stmt.where(OutboxMessage.to == to)
        rows = list(session.scalars(stmt.order_by(OutboxMessage.created_at)))
        session.close()
    return rows


def link_in(message: OutboxMessage, path: str) -> str:
    """The path and query of the link to `path` in an email (the host is the public URL)."""
    text = str(unseal(message.body_text, message.sealed_secrets))  # as the worker sends it
    found = re.search(r"https?://\S+" + re.escape(path) + r"\S*", text)
    assert found, f"no link to {path} in {text!r}"
    assert f'href="{found.group(0)}"' in str(unseal(message.body_html, message.sealed_secrets))
    parts = urlsplit(found.group(0))
    return f"{parts.path}?{parts.query}"


def requests_of(app: Flask, account_id: str | None = None) -> list[AccessRequest]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        stmt = select(AccessRequest).order_by(AccessRequest.created_at)
        if account_id:
            stmt = stmt.where(AccessRequest.account_id == account_id)
        rows = list(session.scalars(stmt))
        session.close()
    return rows


def account(app: Flask, account_id: str) -> Account:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = session.get_one(Account, account_id)
        session.expunge(found)
        session.close()
    return found


class Visitor:
    """A person at a browser: keeps cookies, reads each form's CSRF field."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self.csrf = ""

    def start(self, product_id: str) -> Any:
        page = self.client.get(f"/request-access?product={product_id}")
        if page.status_code == 200:
            self.csrf = csrf_of(page.get_data(as_text=True))
        return page

    def send_link(self, product_id: str, email: str) -> Any:
        token = csrf_of(self.start(product_id).get_data(as_text=True))
        return self.client.post("/request-access", data={
            "csrf_token": token, "product": product_id, "email": email})

    def confirm_link(self, app: Flask, product_id: str, email: str) -> str:
        sent = self.send_link(product_id, email)
        assert sent.status_code == 200 and result_of(sent) == "check_email"
        return link_in(emails(app, "request_access_confirm", email)[-1],
                       "/request-access/confirm")

    def ask(self, url: str, reason: str = "") -> Any:
        """Open the emailed link and press "Request access" (or post as if, with no form)."""
        page = self.client.get(url)
        html = page.get_data(as_text=True)
        token = url.split("token=", 1)[1]
        return self.client.post("/request-access/confirm", data={
            "csrf_token": csrf_of(html) if "csrf_token" in html else self.csrf,
            "token": token, "reason": reason})
