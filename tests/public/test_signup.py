"""`POST /signup`: approved domains grant or file a request; other domains are refused."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from conftest import Tenant
from scim_server import db
from scim_server.models import (AccessRequest, Account, Invitation, OutboxMessage, Product,
                                ProductGrant, Site)
from tests.admin.conftest import AdminClient, problem


@pytest.fixture
def admin(client: FlaskClient, tenant: Tenant) -> AdminClient:
    return AdminClient(client, tenant)


@pytest.fixture
def product(app: Flask, admin: AdminClient, tenant: Tenant) -> Callable[..., str]:
    def _make(key: str = "jira", seat_limit: int | None = None) -> str:
        site = admin.get("/sites").get_json()["data"][0]["id"]
        body = {"site_id": site, "key": key, "name": key.title(), "seat_limit": seat_limit}
        return str(admin.post("/products", json=body).get_json()["id"])

    return _make


@pytest.fixture
def boss(app: Flask, tenant: Tenant) -> str:
    """An organization admin who receives notifications."""
    with app.app_context():
        session = db.new_session(app)
        account = Account(org_id=tenant.org_id, email="boss@acme.example",
                          email_norm="boss@acme.example", email_verified=True, is_org_admin=True)
        session.add(account)
        session.commit()
        account_id = account.id
        session.close()
    return account_id


def sign_up(client: FlaskClient, email: str, product_id: str) -> Any:
    return client.post("/signup", json={"email": email, "product_id": product_id})


def stored(app: Flask) -> dict[str, Any]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = {
            "accounts": {a.email: a for a in session.scalars(select(Account))},
            "grants": [(g.account_id, g.product_id, g.role, g.origin)
                       for g in session.scalars(select(ProductGrant))],
            "requests": list(session.scalars(select(AccessRequest))),
            "emails": [(m.to, m.template, m.context) for m in session.scalars(
                select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.to))],
            "invitations": int(session.scalar(select(func.count()).select_from(Invitation))
                               or 0),
        }
        session.close()
    return found


def test_an_approved_domain_without_approval_grants_at_once(
        app: Flask, client: FlaskClient, admin: AdminClient, product: Callable[..., str],
        boss: str) -> None:
    jira = product("jira", seat_limit=1)
    admin.post("/domains", json={"domain": "acme.example", "product_id": jira,
                                 "approval_required": False, "role": "admin"})
    response = sign_up(client, "New.Person@ACME.example", jira)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert (body["result"], body["verify_email"]) == ("granted", True)
    assert "Confirm your email" in body["detail"]
    state = stored(app)
    person = state["accounts"]["New.Person@ACME.example"]
    assert (person.source, person.email_verified) == ("self_signup", False)
    assert person.status == "active"
    assert state["grants"] == [(person.id, jira, "admin", "domain_rule")]
    templates = sorted((to, template) for to, template, _c in state["emails"])
    assert templates == [("New.Person@ACME.example", "invitation"),
                         ("boss@acme.example", "access_request_filed")]
    # The one seat is taken: the next sign-up is refused and leaves nothing behind.
    full = problem(sign_up(client, "second@acme.example", jira), 409)
    assert full["type"].endswith("/seat-limit-exceeded")
    after = stored(app)
    assert set(after["accounts"]) == set(state["accounts"])
    assert (after["grants"], len(after["emails"])) == (state["grants"], len(state["emails"]))
    # Signing up again before confirming changes nothing either.
    again = problem(sign_up(client, "new.person@acme.example", jira), 403)
    assert again["type"].endswith("/email-not-verified") and "account_id" not in again


def test_approval_required_files_a_request_that_waits_for_the_confirmed_email(
        app: Flask, client: FlaskClient, admin: AdminClient, product: Callable[..., str],
        boss: str) -> None:
    wiki = product("wiki")
    admin.post("/domains", json={"domain": "acme.example", "product_id": wiki})
    body = sign_up(client, "ivy@acme.example", wiki).get_json()
    assert (body["result"], body["verify_email"]) == ("requested", True)
    assert sign_up(client, "IVY@acme.example", wiki).get_json()["result"] == "already_requested"
    state = stored(app)
    [request] = state["requests"]
    assert (request.status, request.source) == ("pending", "signup")
    invite = next(c for to, t, c in state["emails"] if t == "invitation")
    assert "review" in invite["message"] and invite["products"] == []
    assert [t for to, t, _c in state["emails"] if to == "boss@acme.example"] == [
        "access_request_filed"]
    early = problem(admin.post(f"/access-requests/{request.id}/approve"), 409)
    assert early["type"].endswith("/email-not-verified")
    assert stored(app)["requests"][0].status == "pending"
    token = invite["accept_url"].split("token=")[1]
    assert client.post("/invitations/accept", json={"token": token}).status_code == 200
    approved = admin.post(f"/access-requests/{request.id}/approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["account"]["product_access"] == [{"product_id": wiki,
                                                                 "role": "user"}]


def test_other_domains_are_refused_unless_any_domain_may_ask(
        app: Flask, client: FlaskClient, admin: AdminClient, product: Callable[..., str]) -> None:
    jira = product("jira")
    before = stored(app)
    refused = problem(sign_up(client, "eve@elsewhere.example", jira), 403)
    assert refused["type"].endswith("/domain-not-approved")
    assert "ask an administrator to invite you" in refused["detail"]
    assert stored(app)["accounts"] == before["accounts"] and not stored(app)["emails"]
    admin.patch("/access-settings", json={"signup_any_domain": True})
    assert sign_up(client, "eve@elsewhere.example", jira).get_json()["result"] == "requested"
    problem(sign_up(client, "someone@gmail.com", jira), 403)  # webmail never qualifies
    problem(sign_up(client, "not-an-email", jira), 422)
    problem(sign_up(client, "eve@elsewhere.example", "no-such-product"), 404)
    problem(client.post("/signup", data="email=x", content_type="text/plain"), 415)
    problem(client.post("/signup", data="[1]", content_type="application/json"), 400)
    with app.app_context():
        session = db.new_session(app, writes=False)
        assert session.scalar(select(func.count()).select_from(Account).where(
            Account.email_norm == "someone@gmail.com")) == 0
        assert session.scalar(select(func.count()).select_from(Product)) == 1
        assert session.scalar(select(func.count()).select_from(Site)) == 1
        session.close()
