"""The invitation link: the page, the accept, distinct answers, headers that keep it safe."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, Invitation, OutboxMessage
from scim_server.services.invitation_tokens import invitation_cause
from scim_server.services.outbox import message_id_for, unseal
from tests.admin.conftest import AdminClient


def invited(app: Flask, admin: AdminClient, email: str = "ann@example.test",
            **body: Any) -> tuple[str, str]:
    """Invite `email`; return (invitation id, the token from its queued email)."""
    [result] = admin.post("/invitations", json={"emails": email, **body}).get_json()["data"]
    session = db.new_session(app, writes=False)
    try:
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.message_id == message_id_for(
                invitation_cause(result["invitation_id"])))).one()
        text = str(unseal(message.body_text, message.sealed_secrets))
        token = re.search(r"token=(\S+)", text).group(1)  # type: ignore[union-attr]
    finally:
        session.close()
    return result["invitation_id"], token


def state(app: Flask, invitation_id: str) -> tuple[str, bool]:
    session = db.new_session(app, writes=False)
    try:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        account = session.get(Account, invitation.account_id)
        assert account is not None
        return invitation.state, account.has_accessed
    finally:
        session.close()


def result_of(response: Any) -> str:
    found = re.search(r'id="result" data-result="([a-z]+)"', response.get_data(as_text=True))
    return found.group(1) if found else "ready"


@pytest.fixture
def admin(client: FlaskClient, tenant: Tenant) -> AdminClient:
    return AdminClient(client, tenant)


def test_the_page_shows_the_invitation_and_changes_nothing(
        app: Flask, client: FlaskClient, admin: AdminClient) -> None:
    invitation_id, token = invited(app, admin)
    for _ in range(2):  # a mail scanner opening the link twice accepts nothing
        page = client.get(f"/invitations/accept?token={token}")
        assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Join Acme" in html and "ann@example.test" in html
    assert f'name="token" value="{token}"' in html and 'method="post"' in html
    assert state(app, invitation_id) == ("pending", False)
    nonce = re.search(r'<style nonce="([^"]+)">', html).group(1)  # type: ignore[union-attr]
    csp = page.headers["Content-Security-Policy"]
    assert f"style-src 'nonce-{nonce}'" in csp and "default-src 'none'" in csp
    assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "<script" not in html  # the page works without any script
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_form_accepts_once(app: Flask, client: FlaskClient, admin: AdminClient) -> None:
    invitation_id, token = invited(app, admin)
    done = client.post("/invitations/accept", data={"token": token})
    assert done.status_code == 200 and result_of(done) == "accepted"
    assert "Welcome to Acme" in done.get_data(as_text=True)
    assert state(app, invitation_id) == ("accepted", True)
    again = client.post("/invitations/accept", data={"token": token})
    assert again.status_code == 409 and result_of(again) == "used"
    page = client.get(f"/invitations/accept?token={token}")
    assert page.status_code == 409 and "already accepted" in page.get_data(as_text=True)


def test_each_unusable_link_has_its_own_answer(
        app: Flask, client: FlaskClient, admin: AdminClient) -> None:
    revoked_id, revoked = invited(app, admin, "r@example.test")
    admin.post(f"/invitations/{revoked_id}/revoke", json={})
    old_id, superseded = invited(app, admin, "s@example.test")
    admin.post(f"/invitations/{old_id}/resend", json={})
    inactive_id, inactive = invited(app, admin, "d@example.test")
    admin.post(f"/users/{state_account(app, inactive_id)}/deactivate", json={})
    expired_id, expired = invited(app, admin, "e@example.test")
    session = db.new_session(app)
    row = session.get(Invitation, expired_id)
    assert row is not None
    row.expires_at = row.created_at
    session.commit()
    session.close()
    cases = [(revoked, 410, "revoked"), (superseded, 410, "superseded"),
             (expired, 410, "expired"), (inactive, 409, "inactive"),
             ("scimsrv_inv_madeup", 404, "invalid")]
    for token, status, reason in cases:
        page = client.get(f"/invitations/accept?token={token}")
        assert (page.status_code, result_of(page)) == (status, reason), reason
        posted = client.post("/invitations/accept", json={"token": token})
        assert posted.status_code == status and posted.mimetype == "application/problem+json"
        body = posted.get_json()
        assert body["reason"] == reason and body["type"] == f"/problems/invitation-{reason}"
        assert body["detail"] and body["title"]
    for invitation_id, expected in ((revoked_id, "revoked"), (old_id, "superseded"),
                                    (inactive_id, "pending"), (expired_id, "pending")):
        assert state(app, invitation_id) == (expected, False)


def state_account(app: Flask, invitation_id: str) -> str:
    session = db.new_session(app, writes=False)
    try:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        return invitation.account_id
    finally:
        session.close()


def test_json_accept_and_malformed_requests(app: Flask, client: FlaskClient,
                                            admin: AdminClient) -> None:
    invitation_id, token = invited(app, admin)
    missing = client.get("/invitations/accept")
    assert missing.status_code == 400 and result_of(missing) == "missing"
    for body, reason in ((b"{not json", "malformed"), (b"[]", "missing"),
                         (b'{"token": 5}', "missing"), (b"{}", "missing")):
        refused = client.post("/invitations/accept", data=body,
                              content_type="application/json")
        assert refused.status_code == 400 and refused.get_json()["reason"] == reason
    assert client.post("/invitations/accept", data={}).status_code == 400
    accepted = client.post("/invitations/accept", json={"token": token})
    assert accepted.status_code == 200
    assert accepted.get_json() == {
        "status": "accepted", "invitation_id": invitation_id,
        "account_id": state_account(app, invitation_id),
        "org_id": admin.tenant.org_id, "invitation_status": "has_site_access"}
    assert accepted.headers["Cache-Control"] == "no-store"


def test_names_are_escaped(app: Flask, client: FlaskClient,
                           make_tenant: Callable[..., Tenant]) -> None:
    evil = make_tenant("<script>alert(1)</script>")
    _invitation_id, token = invited(app, AdminClient(client, evil), "x@example.test")
    html = client.get(f"/invitations/accept?token={token}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_accepted_page_links_onward_to_the_site(app: Flask, client: FlaskClient,
                                                    admin: AdminClient) -> None:
    site = admin.get("/sites").get_json()["data"][0]
    assert admin.patch(f"/sites/{site['id']}", json={"url": "https://acme.example"}
                       ).status_code == 200
    _invitation_id, token = invited(app, admin)
    done = client.post("/invitations/accept", data={"token": token}).get_data(as_text=True)
    assert f'<a href="https://acme.example" id="continue">Continue to {site["name"]}</a>' in done
