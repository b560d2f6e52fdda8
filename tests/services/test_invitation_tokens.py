"""One invitation's life: issue, resend, revoke, accept, and every way a token is unusable."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, AuditEvent, Invitation, OutboxMessage, utcnow
from scim_server.services import invitation_tokens as tokens
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict, NotFound
from scim_server.services.invitation_status import invitation_status
from scim_server.services.invitation_tokens import InvitationSettings, InvitationUnusable

ADMIN = Actor("admin_key", "k1")
SETTINGS = InvitationSettings(public_url="https://scim.example/", ttl_days=7)


def token_in(session: Session, invitation: Invitation) -> str:
    """The token, as the worker will put it in the invitation's email (sealed until then)."""
    message = session.scalars(select(OutboxMessage).where(
        OutboxMessage.message_id == tokens.outbox.message_id_for(
            tokens.invitation_cause(invitation.id)))).one()
    text = str(tokens.outbox.unseal(message.body_text, message.sealed_secrets))
    return text.split("?token=")[1].split()[0]


@pytest.fixture
def ann(add_account: Callable[..., Account]) -> Account:
    return add_account("ann@example.test")


def test_issue_emails_a_link_with_a_hashed_token_and_the_configured_expiry(
        db_session: Session, ann: Account) -> None:
    invitation = tokens.issue(db_session, ann, ADMIN, SETTINGS, send_email=True,
                              message="See you")
    token = token_in(db_session, invitation)
    assert token.startswith("scimsrv_inv_") and token not in invitation.token_hash
    assert tokens.accept_url(SETTINGS, token) == (
        f"https://scim.example/invitations/accept?token={token}")
    assert timedelta(days=6, hours=23) < invitation.expires_at - utcnow() <= timedelta(days=7)
    assert invitation_status(db_session, ann) == "invitation_pending"


def test_accept_gives_site_access_once(db_session: Session, ann: Account) -> None:
    invitation = tokens.issue(db_session, ann, ADMIN, SETTINGS, send_email=True)
    token = token_in(db_session, invitation)
    accepted = tokens.accept(db_session, token)
    assert accepted.state == "accepted" and accepted.accepted_at is not None
    assert ann.has_accessed and ann.email_verified
    assert invitation_status(db_session, ann) == "has_site_access"
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "invitation.accepted")).one()
    assert (event.actor_type, event.actor_id) == ("account", ann.id)
    with pytest.raises(InvitationUnusable) as used:
        tokens.accept(db_session, token)
    assert used.value.reason == "used"


def _snapshot(session: Session, account: Account) -> tuple[object, ...]:
    session.refresh(account)
    states = tuple(session.scalars(select(Invitation.state).where(
        Invitation.account_id == account.id).order_by(Invitation.created_at)))
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    return account.has_accessed, account.email_verified, states, events


def test_every_unusable_token_says_why_and_changes_nothing(
        db_session: Session, ann: Account, add_account: Callable[..., Account]) -> None:
    first = tokens.issue(db_session, ann, ADMIN, SETTINGS, send_email=True)
    old_token = token_in(db_session, first)
    second = tokens.resend(db_session, ann.org_id, first.id, ADMIN, SETTINGS)
    new_token = token_in(db_session, second)
    bob = add_account("bob@example.test")
    revoked = tokens.issue(db_session, bob, ADMIN, SETTINGS, send_email=True)
    revoked_token = token_in(db_session, revoked)
    tokens.revoke(db_session, bob.org_id, revoked.id, ADMIN)
    cy = add_account("cy@example.test")
    stale = tokens.issue(db_session, cy, ADMIN, SETTINGS, send_email=True,
                         now=utcnow() - timedelta(days=8))
    stale_token = token_in(db_session, stale)
    dee = add_account("dee@example.test")
    parked = tokens.issue(db_session, dee, ADMIN, SETTINGS, send_email=True)
    parked_token = token_in(db_session, parked)
    dee.status = "deactivated"
    db_session.flush()
    cases = {old_token: "superseded", revoked_token: "revoked", stale_token: "expired",
             parked_token: "inactive", "scimsrv_inv_nope": "invalid", "  ": "invalid"}
    for token, reason in cases.items():
        before = [_snapshot(db_session, a) for a in (ann, bob, cy, dee)]
        with pytest.raises(InvitationUnusable) as refused:
            tokens.accept(db_session, token)
        assert refused.value.reason == reason
        assert str(refused.value) == InvitationUnusable.MESSAGES[reason]
        assert [_snapshot(db_session, a) for a in (ann, bob, cy, dee)] == before
    assert tokens.accept(db_session, new_token).id == second.id


def test_resend_issues_a_fresh_token_and_expiry_and_works_after_expiry(
        db_session: Session, ann: Account) -> None:
    old = tokens.issue(db_session, ann, ADMIN, SETTINGS, send_email=True,
                       now=utcnow() - timedelta(days=10))
    assert invitation_status(db_session, ann) == "invitation_expired"
    fresh = tokens.resend(db_session, ann.org_id, old.id, ADMIN, SETTINGS, message="Again")
    assert fresh.id != old.id and fresh.token_hash != old.token_hash
    assert fresh.expires_at > utcnow() + timedelta(days=6) and fresh.message == "Again"
    db_session.refresh(old)
    assert old.state == "superseded"
    assert invitation_status(db_session, ann) == "invitation_pending"
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_invite_account_reaches_accounts_that_never_had_an_invitation(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account]) -> None:
    synced = add_account("synced@example.test", source="synced")
    assert invitation_status(db_session, synced) == "invitation_not_sent"
    invitation = tokens.invite_account(db_session, tenant.org_id, synced.id, ADMIN, SETTINGS)
    assert invitation.send_email and invitation_status(db_session, synced) == (
        "invitation_pending")
    quiet = add_account("quiet@example.test")
    tokens.issue(db_session, quiet, ADMIN, SETTINGS, send_email=False)
    assert invitation_status(db_session, quiet) == "invitation_not_sent"
    tokens.invite_account(db_session, tenant.org_id, quiet.id, ADMIN, SETTINGS)
    assert invitation_status(db_session, quiet) == "invitation_pending"


def test_what_cannot_be_invited_resent_or_revoked(
        db_session: Session, tenant: Tenant, ann: Account,
        add_account: Callable[..., Account]) -> None:
    accessed = add_account("in@example.test", has_accessed=True)
    gone = add_account("gone@example.test", status="deactivated")
    nameless = add_account("x")
    nameless.email = None
    for account, words in ((accessed, "already has site access"), (gone, "deactivated"),
                           (nameless, "no email")):
        with pytest.raises(Conflict, match=words):
            tokens.invite_account(db_session, tenant.org_id, account.id, ADMIN, SETTINGS)
    with pytest.raises(NotFound):
        tokens.invite_account(db_session, tenant.org_id, "nobody", ADMIN, SETTINGS)
    with pytest.raises(NotFound):  # another organization's account does not exist here
        tokens.invite_account(db_session, "another-org", ann.id, ADMIN, SETTINGS)
    invitation = tokens.issue(db_session, ann, ADMIN, SETTINGS, send_email=True)
    with pytest.raises(NotFound):
        tokens.resend(db_session, "another-org", invitation.id, ADMIN, SETTINGS)
    with pytest.raises(NotFound):
        tokens.revoke(db_session, "another-org", invitation.id, ADMIN)
    tokens.accept(db_session, token_in(db_session, invitation))
    with pytest.raises(Conflict, match="already accepted"):
        tokens.resend(db_session, tenant.org_id, invitation.id, ADMIN, SETTINGS)
    with pytest.raises(Conflict, match="already accepted"):
        tokens.revoke(db_session, tenant.org_id, invitation.id, ADMIN)


def test_revoke_is_idempotent_and_leaves_the_account_alone(
        db_session: Session, tenant: Tenant, ann: Account) -> None:
    invitation = tokens.issue(db_session, ann, ADMIN, SETTINGS, send_email=True)
    first = tokens.revoke(db_session, tenant.org_id, invitation.id, ADMIN)
    stamp = first.revoked_at
    again = tokens.revoke(db_session, tenant.org_id, invitation.id, ADMIN)
    assert again.state == "revoked" and again.revoked_at == stamp
    assert ann.status == "active" and invitation_status(db_session, ann) == (
        "invitation_not_sent")
    revocations = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "invitation.revoked"))
    assert revocations == 1
    again_invited = tokens.resend(db_session, tenant.org_id, invitation.id, ADMIN, SETTINGS)
    assert again_invited.state == "pending"
