"""`POST /signup`: approved domains grant (once the address is confirmed) or file a request;
other domains are refused; the anonymous caller always gets the same answer."""
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
from scim_server.services.outbox import unseal
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


UNIFORM = ("Check your email: if this address can sign up for this product, we sent it a "
           "message that says what happens next.")


def accepted(response: Any, email: str, product_id: str) -> None:
    """The one answer every sign-up gets, whatever the address's state."""
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json() == {"status": "accepted", "email": email,
                                   "product_id": product_id, "detail": UNIFORM}


def token_for(app: Flask, email: str) -> str:
    """The link the newest invitation email to `email` will carry (sealed until sent)."""
    with app.app_context():
        session = db.new_session(app, writes=False)
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.to == email, OutboxMessage.template == "invitation")
            .order_by(OutboxMessage.created_at.desc())).first()
        assert message is not None
        text = str(unseal(message.body_text, message.sealed_secrets))
        session.close()
    return text.split("token=")[1].split()[0]


def notices(app: Flask, email: str) -> list[str]:
    """What the address owner was told, newest last."""
    return [c["detail"] for to, t, c in stored(app)["emails"]
            if to == email and t == "signup_notice"]


def test_made_up_addresses_take_no_seat(
        app: Flask, client: FlaskClient, admin: AdminClient, product: Callable[..., str],
        boss: str) -> None:
    """Issue 12 finding 1: four anonymous sign-ups used to take both seats."""
    jira = product("jira", seat_limit=2)
    admin.post("/domains", json={"domain": "acme.example", "product_id": jira,
                                 "approval_required": False, "role": "admin"})
    for n in range(4):
        accepted(sign_up(client, f"made-up-{n}@acme.example", jira),
                 f"made-up-{n}@acme.example", jira)
    state = stored(app)
    assert state["grants"] == [] and state["invitations"] == 4
    licence = next(l for l in admin.get("/licences").get_json()["data"]
                   if l["product_id"] == jira)
    assert (licence["used"], licence["available"]) == (0, 2)
    invited = admin.post("/invitations", json={
        "emails": ["real@acme.example"], "products": [{"product_id": jira, "role": "user"}]})
    assert invited.status_code == 200, invited.get_json()
    assert invited.get_json()["data"][0]["result"] == "invited"


def test_confirming_the_address_grants_within_the_seat_limit(
        app: Flask, client: FlaskClient, admin: AdminClient, product: Callable[..., str],
        boss: str) -> None:
    jira = product("jira", seat_limit=1)
    admin.post("/domains", json={"domain": "acme.example", "product_id": jira,
                                 "approval_required": False, "role": "admin"})
    accepted(sign_up(client, "New.Person@ACME.example", jira), "New.Person@ACME.example", jira)
    accepted(sign_up(client, "second@acme.example", jira), "second@acme.example", jira)
    person = stored(app)["accounts"]["New.Person@ACME.example"]
    assert (person.source, person.email_verified) == ("self_signup", False)
    first = client.post("/invitations/accept",
                        json={"token": token_for(app, "New.Person@ACME.example")})
    assert first.status_code == 200, first.get_json()
    state = stored(app)
    assert state["grants"] == [(person.id, jira, "admin", "domain_rule")]
    assert notices(app, "New.Person@ACME.example") == ["You have access to Jira."]
    # The second address confirms when the one seat is taken: an admin decides instead.
    second = client.post("/invitations/accept", json={"token": token_for(app, "second@acme.example")})
    assert second.status_code == 200
    after = stored(app)
    assert after["grants"] == state["grants"]
    [request] = after["requests"]
    assert (request.status, request.source) == ("pending", "signup")
    assert request.account_id == after["accounts"]["second@acme.example"].id
    assert "No seat of Jira is free" in notices(app, "second@acme.example")[0]
    assert "seats" not in notices(app, "second@acme.example")[0]
    review = admin.get("/access-requests?status=pending").get_json()["data"]
    assert [r["id"] for r in review] == [request.id]


def test_every_address_state_gets_the_same_answer(
        app: Flask, client: FlaskClient, admin: AdminClient, product: Callable[..., str],
        boss: str) -> None:
    """Issue 12 finding 2: 409 with a role, 403, 202 and a seat count told strangers apart."""
    jira, wiki = product("jira", seat_limit=1), product("wiki")
    for pid in (jira, wiki):
        admin.post("/domains", json={"domain": "acme.example", "product_id": pid,
                                     "approval_required": False, "role": "admin"})
    accepted(sign_up(client, "holder@acme.example", jira), "holder@acme.example", jira)
    client.post("/invitations/accept", json={"token": token_for(app, "holder@acme.example")})
    accepted(sign_up(client, "unconfirmed@acme.example", wiki), "unconfirmed@acme.example",
             wiki)
    cases = [("holder@acme.example", jira),       # has the product (role admin)
             ("unconfirmed@acme.example", wiki),  # exists, address not confirmed
             ("holder@acme.example", wiki),       # confirmed, may get another product
             ("nobody@acme.example", wiki),       # a new address
             ("boss@acme.example", jira)]         # confirmed, and the product is full
    for email, pid in cases:
        accepted(sign_up(client, email, pid), email, pid)
    assert notices(app, "holder@acme.example")[-2:] == [
        "You already have access to Jira; nothing changed.", "You have access to Wiki."]
    assert "No seat of Jira is free" in notices(app, "boss@acme.example")[-1]
    grants = {(g[0], g[1], g[2]) for g in stored(app)["grants"]}
    holder = stored(app)["accounts"]["holder@acme.example"].id
    assert (holder, jira, "admin") in grants, "the existing role was left alone"


def test_approval_required_files_a_request_that_waits_for_the_confirmed_email(
        app: Flask, client: FlaskClient, admin: AdminClient, product: Callable[..., str],
        boss: str) -> None:
    wiki = product("wiki")
    admin.post("/domains", json={"domain": "acme.example", "product_id": wiki})
    accepted(sign_up(client, "ivy@acme.example", wiki), "ivy@acme.example", wiki)
    accepted(sign_up(client, "IVY@acme.example", wiki), "IVY@acme.example", wiki)
    state = stored(app)
    [request] = state["requests"]
    assert (request.status, request.source) == ("pending", "signup")
    invite = [c for to, t, c in state["emails"] if t == "invitation"][-1]
    assert "review" in invite["message"] and invite["products"] == []
    assert [t for to, t, _c in state["emails"] if to == "boss@acme.example"] == [
        "access_request_filed"]
    early = problem(admin.post(f"/access-requests/{request.id}/approve"), 409)
    assert early["type"].endswith("/email-not-verified")
    assert stored(app)["requests"][0].status == "pending"
    token = token_for(app, "ivy@acme.example")
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
    accepted(sign_up(client, "eve@elsewhere.example", jira), "eve@elsewhere.example", jira)
    assert [r.source for r in stored(app)["requests"]] == ["signup"]
    problem(sign_up(client, "someone@gmail.com", jira), 403)  # webmail never qualifies
    problem(sign_up(client, "not-an-email", jira), 422)
    problem(sign_up(client, "eve@elsewhere.example", "no-such-product"), 404)
    problem(client.post("/signup", data="email=x", content_type="text/plain"), 415)
    problem(client.post("/signup", data="[1]", content_type="application/json"), 400)
    problem(client.post("/signup", data='{"email": "a@acme.example", "product_id": "x\\u0000"}',
                        content_type="application/json"), 400)
    with app.app_context():
        session = db.new_session(app, writes=False)
        assert session.scalar(select(func.count()).select_from(Account).where(
            Account.email_norm == "someone@gmail.com")) == 0
        assert session.scalar(select(func.count()).select_from(Product)) == 1
        assert session.scalar(select(func.count()).select_from(Site)) == 1
        session.close()
