"""Console fixtures: admin accounts, sign-in through the emailed link, CSRF-aware forms."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.services.outbox import unseal
from scim_server.models import Account, OutboxMessage
from scim_server.services.email_addresses import email_norm
from tests.admin.conftest import (AdminClient, admin, make_account,  # noqa: F401
                                  make_product, make_synced_group, site_id)
from tests.ops.conftest import make_ops_app  # noqa: F401  (fixture)

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                  r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"http://scim\.test(/console/sign-in\?token=[A-Za-z0-9_\-]+)")


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None, "the page has no CSRF token"
    return match.group(1) or match.group(2)


@pytest.fixture
def make_admin(app: Flask) -> Callable[..., str]:
    """Factory: an admin account of `tenant` (org admin unless `role` says otherwise)."""

    def _make(tenant: Tenant, email: str = "admin@acme.test", role: str = "org_admin",
              status: str = "active") -> str:
        with app.app_context():
            session = db.new_session(app)
            account = Account(org_id=tenant.org_id, email=email, email_norm=email_norm(email),
                              email_verified=True, display_name=email.split("@")[0].title(),
                              is_org_admin=role == "org_admin",
                              is_user_access_admin=role == "user_access_admin",
                              source="invited", has_accessed=True, status=status)
            session.add(account)
            session.commit()
            account_id = account.id
            session.close()
        return account_id

    return _make


def emailed_link(app: Flask, to: str) -> str:
    """The path of the newest sign-in link queued for `to`."""
    with app.app_context():
        session = db.new_session(app, writes=False)
        sent = session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "console_sign_in")
            .order_by(OutboxMessage.created_at.desc())).all()
        session.close()
    message = next((m for m in sent if email_norm(m.to) == email_norm(to)), None)
    assert message is not None, f"no sign-in email for {to}"
    match = LINK.search(str(unseal(message.body_text, message.sealed_secrets)))  # as sent
    assert match is not None
    return match.group(1)


@dataclass
class Console:
    """A browser-like client: GETs pages and posts their forms with their CSRF token."""

    client: FlaskClient
    app: Flask
    org_id: str = ""

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(self._url(path), **kw)

    def post_form(self, page: str, action: str, data: dict[str, Any] | None = None,
                  **kw: Any) -> Any:
        """Open `page`, take its CSRF token, post `data` to `action`."""
        html = self.get(page).get_data(as_text=True)
        fields = {"csrf_token": csrf_of(html), **(data or {})}
        return self.client.post(self._url(action), data=fields, **kw)

    def _url(self, path: str) -> str:
        if path.startswith("/"):
            return path
        return f"/console/orgs/{self.org_id}/{path}"

    def request_link(self, email: str) -> str:
        response = self.post_form("/console/login", "/console/login", {"email": email})
        assert response.status_code == 302, response.get_data(as_text=True)
        return emailed_link(self.app, email)

    def sign_in(self, email: str, org_id: str) -> "Console":
        link = self.request_link(email)
        response = self.post_form(link, "/console/sign-in", {
            "token": link.split("token=", 1)[1]})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.org_id = org_id
        return self


@pytest.fixture
def console(app: Flask, client: FlaskClient) -> Console:
    return Console(client, app)


@pytest.fixture
def signed_in(app: Flask, client: FlaskClient, tenant: Tenant,
              make_admin: Callable[..., str]) -> Console:
    """An org admin of the tenant, signed in."""
    make_admin(tenant)
    return Console(client, app).sign_in("admin@acme.test", tenant.org_id)
