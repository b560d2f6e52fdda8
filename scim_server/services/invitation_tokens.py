"""One invitation of one account: issue (and email), resend, revoke, accept.

The token is a bearer secret shown only in the email link and kept as a hash. Issuing a
new invitation supersedes the account's pending ones, so only the newest link works;
every older link keeps answering why it does not (used, revoked, superseded, expired).
Accepting changes the invitation and the account's site access; products and groups named
by an invitation were granted when it was made, except the ones a self-signup asked for,
which wait for the confirmed address (services/signup_decisions.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Account, Invitation, Organization, Product, utcnow
from . import audit, outbox, secrets, signup_decisions
from .actors import Actor
from .errors import Conflict, DomainError, NotFound


@dataclass(frozen=True)
class InvitationSettings:
    """Where links point and how long they live."""

    public_url: str
    ttl_days: int = 30


class InvitationUnusable(DomainError):
    """A token that cannot be accepted; `reason` says why, in one stable word."""

    MESSAGES = {
        "invalid": "This invitation link is not valid. Check that you copied all of it.",
        "used": "This invitation was already accepted.",
        "revoked": "This invitation was withdrawn by an administrator.",
        "superseded": "A newer invitation replaced this one; use the link in the latest email.",
        "expired": "This invitation has expired. Ask an administrator to send a new one.",
        "inactive": "The account this invitation is for is not active.",
    }

    def __init__(self, reason: str, invitation: Invitation | None = None):
        self.reason = reason
        self.invitation = invitation
        super().__init__(self.MESSAGES[reason])


def invitation_cause(invitation_id: str) -> str:
    """The outbox cause of an invitation's email: one email per invitation, ever."""
    return f"invitation:{invitation_id}"


def accept_url(settings: InvitationSettings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/invitations/accept?token={token}"


def _product_names(session: Session, products: list[dict[str, Any]]) -> list[str]:
    """Names of the products the invitation gives (not those a sign-up still waits for)."""
    ids = [p["product_id"] for p in products if not p.get("on_accept")]
    if not ids:
        return []
    names = {pid: name for pid, name in session.execute(
        select(Product.id, Product.name).where(Product.id.in_(ids)))}
    return [names[i] for i in ids if i in names]


def issue(session: Session, account: Account, actor: Actor, settings: InvitationSettings, *,
          send_email: bool, products: list[dict[str, Any]] | None = None,
          groups: list[str] | None = None, site_role: str = "basic",
          message: str | None = None, now: datetime | None = None) -> Invitation:
    """A new invitation for `account`, superseding its pending ones; emailed if asked."""
    now = now or utcnow()
    replaced = session.scalars(select(Invitation.id).where(
        Invitation.account_id == account.id, Invitation.state == "pending")).all()
    session.execute(update(Invitation)
                    .where(Invitation.account_id == account.id, Invitation.state == "pending")
                    .values(state="superseded").execution_options(synchronize_session="fetch"))
    # One email, one live link: the replaced invitations' unsent emails are not sent.
    outbox.cancel_unsent(session, [invitation_cause(i) for i in replaced],
                         "cancelled: a newer invitation replaced this one")
    token = secrets.generate(secrets.INVITATION_PREFIX)
    invitation = Invitation(
        org_id=account.org_id, account_id=account.id, token_hash=secrets.digest(token),
        state="pending", send_email=send_email, products=list(products or []),
        groups=list(groups or []), site_role=site_role, message=message, created_at=now,
        expires_at=now + timedelta(days=settings.ttl_days))
    session.add(invitation)
    session.flush()
    if send_email and account.email:
        org = session.get(Organization, account.org_id)
        outbox.enqueue(session, org_id=account.org_id, to=account.email, template="invitation",
                       cause=invitation_cause(invitation.id), secrets=[token], context={
                           "org_name": org.name if org else account.org_id,
                           "accept_url": accept_url(settings, token),
                           "expires_at": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
                           "message": message, "site_role": site_role,
                           "products": _product_names(session, invitation.products)})
        # email_sent_at is the outbox's sent_at (invitation_queries.email_deliveries):
        # queued is not sent.
    audit.record(session, org_id=account.org_id, actor=actor, action="invitation.issued",
                 target_type="user", target_id=account.id,
                 changes={"invitation_id": invitation.id, "send_email": send_email,
                          "expires_at": invitation.expires_at.isoformat()})
    return invitation


def get_invitation(session: Session, org_id: str, invitation_id: str) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.org_id != org_id:
        raise NotFound(f"no invitation {invitation_id} in this organization")
    return invitation


def _check_invitable(account: Account) -> None:
    if account.status != "active" or account.erased_at is not None:
        raise Conflict(f"user {account.id} is {account.status}; reactivate it before "
                       "inviting it")
    if account.has_accessed or account.last_active_at is not None:
        raise Conflict(f"user {account.id} already has site access; there is nothing to accept")
    if not account.email:
        raise Conflict(f"user {account.id} has no email address to send an invitation to")


def _lock_account(session: Session, account_id: str) -> Account:
    stmt = (select(Account).where(Account.id == account_id).with_for_update()
            .execution_options(populate_existing=True))
    account = session.scalars(stmt).first()
    if account is None:
        raise NotFound(f"no user {account_id} in this organization")
    return account


def invite_account(session: Session, org_id: str, account_id: str, actor: Actor,
                   settings: InvitationSettings, message: str | None = None,
                   now: datetime | None = None) -> Invitation:
    """Email an invitation to an existing account on an admin's request (synced too)."""
    account = _lock_account(session, account_id)
    if account.org_id != org_id:
        raise NotFound(f"no user {account_id} in this organization")
    _check_invitable(account)
    return issue(session, account, actor, settings, send_email=True, message=message, now=now)


def resend(session: Session, org_id: str, invitation_id: str, actor: Actor,
           settings: InvitationSettings, message: str | None = None,
           now: datetime | None = None) -> Invitation:
    """A fresh token and expiry for the invitation's account, emailed; old links stop."""
    old = get_invitation(session, org_id, invitation_id)
    if old.state == "accepted":
        raise Conflict(f"invitation {invitation_id} was already accepted")
    account = _lock_account(session, old.account_id)
    _check_invitable(account)
    return issue(session, account, actor, settings, send_email=True, products=old.products,
                 groups=old.groups, site_role=old.site_role,
                 message=message if message is not None else old.message, now=now)


def revoke(session: Session, org_id: str, invitation_id: str, actor: Actor,
           now: datetime | None = None) -> Invitation:
    """Make an invitation's link useless (idempotent); an accepted one cannot be revoked."""
    invitation = get_invitation(session, org_id, invitation_id)
    _lock_account(session, invitation.account_id)
    session.refresh(invitation)
    if invitation.state == "accepted":
        raise Conflict(f"invitation {invitation_id} was already accepted; deactivate the user "
                       "to take access away")
    if invitation.state != "pending":
        return invitation
    invitation.state = "revoked"
    invitation.revoked_at = now or utcnow()
    session.flush()
    outbox.cancel_unsent(session, [invitation_cause(invitation.id)],
                         "cancelled: the invitation was revoked")
    audit.record(session, org_id=org_id, actor=actor, action="invitation.revoked",
                 target_type="user", target_id=invitation.account_id,
                 changes={"invitation_id": invitation.id})
    return invitation


def find_by_token(session: Session, token: str, *, lock: bool = False) -> Invitation | None:
    stmt = select(Invitation).where(Invitation.token_hash == secrets.digest(token.strip()))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).first()


def check_usable(session: Session, token: str, now: datetime | None = None, *,
                 lock: bool = False) -> Invitation:
    """The invitation a token opens, or `InvitationUnusable` saying why it opens nothing."""
    invitation = find_by_token(session, token, lock=lock) if token.strip() else None
    if invitation is None:
        raise InvitationUnusable("invalid")
    if invitation.state == "accepted":
        raise InvitationUnusable("used", invitation)
    if invitation.state in ("revoked", "superseded"):
        raise InvitationUnusable(invitation.state, invitation)
    if invitation.expires_at <= (now or utcnow()):
        raise InvitationUnusable("expired", invitation)
    account = session.get(Account, invitation.account_id)
    if account is None or account.status != "active":
        raise InvitationUnusable("inactive", invitation)
    return invitation


def accept(session: Session, token: str, now: datetime | None = None) -> Invitation:
    """Accept an invitation: the account has site access and its email is verified."""
    now = now or utcnow()
    invitation = check_usable(session, token, now, lock=True)
    account = _lock_account(session, invitation.account_id)
    invitation.state = "accepted"
    invitation.accepted_at = now
    account.has_accessed = True
    account.email_verified = True
    session.flush()
    audit.record(session, org_id=invitation.org_id, actor=Actor("account", account.id),
                 action="invitation.accepted", target_type="user", target_id=account.id,
                 changes={"invitation_id": invitation.id})
    signup_decisions.decide_on_acceptance(session, invitation, account)
    return invitation
