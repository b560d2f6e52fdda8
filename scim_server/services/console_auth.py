"""Console sign-in: one-time emailed links, sessions, and which admins may sign in.

A sign-in link is 256 random bits, shown once (in the email or by `scim-server
console-link`) and stored as its SHA-256; it works once, for 15 minutes. Spending it is
one conditional `UPDATE ... WHERE used_at IS NULL AND expires_at > now`, so two clicks
racing each other cannot both sign in. A session secret is kept the same way; the
session ends after an idle spell, after an absolute lifetime, at sign out, or as soon as
its account stops being an active admin.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (Account, ConsoleSession, ConsoleSignInLink, Organization, ServerSecret,
                      utcnow)
from . import audit, outbox, secrets
from .actors import Actor
from .email_addresses import email_norm
from .errors import DomainError, NotFound

SIGN_IN_PREFIX = "scimsrv_sl_"
SESSION_PREFIX = "scimsrv_cs_"
ORG_ADMIN = "org_admin"
USER_ACCESS_ADMIN = "user_access_admin"


class SignInLinkUnusable(DomainError):
    """The sign-in link cannot be used; `reason` is unknown, used, expired or not_admin."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def console_role(account: Account) -> str | None:
    """The account's console role, or None when it may not sign in at all."""
    if account.status != "active" or account.erased_at is not None:
        return None
    if account.is_org_admin:
        return ORG_ADMIN
    if account.is_user_access_admin:
        return USER_ACCESS_ADMIN
    return None


def admin_accounts_for_email(session: Session, email: str) -> list[Account]:
    """Every active admin account with this address, across organizations."""
    rows = session.scalars(select(Account).where(
        Account.email_norm == email_norm(email),
        or_(Account.is_org_admin.is_(True), Account.is_user_access_admin.is_(True))))
    return [a for a in rows if console_role(a) is not None]


def find_admin(session: Session, org_id: str, email: str) -> Account:
    """The organization's admin account with this address (for `scim-server console-link`)."""
    account = session.scalars(select(Account).where(
        Account.org_id == org_id, Account.email_norm == email_norm(email))).first()
    if account is None or console_role(account) is None:
        raise NotFound(f"no active admin {email!r} in organization {org_id}")
    return account


def issue_sign_in_link(session: Session, account: Account, minutes: int,
                       now: datetime | None = None) -> tuple[ConsoleSignInLink, str]:
    """A new one-time sign-in token for `account`; only its hash is stored."""
    token = secrets.generate(SIGN_IN_PREFIX)
    now = now or utcnow()
    link = ConsoleSignInLink(org_id=account.org_id, account_id=account.id,
                             token_hash=secrets.digest(token), created_at=now,
                             expires_at=now + timedelta(minutes=minutes))
    session.add(link)
    session.flush()
    return link, token


def email_sign_in_link(session: Session, account: Account, sign_in_url: str, token: str,
                       minutes: int, link_id: str) -> None:
    """Queue the sign-in email; the token is sealed in the outbox and erased once sent."""
    org = session.get(Organization, account.org_id)
    outbox.enqueue(session, org_id=account.org_id, to=str(account.email),
                   template="console_sign_in",
                   context={"org_name": org.name if org else "", "sign_in_url": sign_in_url,
                            "expires_minutes": minutes},
                   cause=f"console-sign-in:{link_id}", secrets=[token])


def check_sign_in_link(session: Session, token: str, now: datetime | None = None
                       ) -> ConsoleSignInLink:
    """The link if it can still be used (the GET page); raises `SignInLinkUnusable`."""
    link = session.scalars(select(ConsoleSignInLink).where(
        ConsoleSignInLink.token_hash == secrets.digest(token))).first()
    if link is None:
        raise SignInLinkUnusable("unknown", "This sign-in link is not valid. Ask for a new one.")
    if link.used_at is not None:
        raise SignInLinkUnusable("used", "This sign-in link was already used. Each link "
                                 "works once: ask for a new one.")
    if link.expires_at <= (now or utcnow()):
        raise SignInLinkUnusable("expired", "This sign-in link has expired (links work for "
                                 "15 minutes). Ask for a new one.")
    return link


def spend_sign_in_link(session: Session, token: str, now: datetime | None = None) -> Account:
    """Use the link once: the account it signs in, or `SignInLinkUnusable`."""
    now = now or utcnow()
    spent = session.execute(
        update(ConsoleSignInLink)
        .where(ConsoleSignInLink.token_hash == secrets.digest(token),
               ConsoleSignInLink.used_at.is_(None), ConsoleSignInLink.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        check_sign_in_link(session, token, now)  # says why
        raise SignInLinkUnusable("used", "This sign-in link was already used.")
    link = session.scalars(select(ConsoleSignInLink).where(
        ConsoleSignInLink.token_hash == secrets.digest(token))).one()
    account = session.get(Account, link.account_id)
    if account is None or console_role(account) is None:
        raise SignInLinkUnusable("not_admin", "This account is no longer an active admin of "
                                 "the organization. Ask an organization admin for access.")
    return account


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta


def start_session(session: Session, account: Account, limits: SessionLimits,
                  request_id: str | None = None, now: datetime | None = None) -> str:
    """Open a session for `account`: the secret goes to the browser, its hash is stored."""
    now = now or utcnow()
    secret = secrets.generate(SESSION_PREFIX)
    row = ConsoleSession(org_id=account.org_id, account_id=account.id,
                         secret_hash=secrets.digest(secret), created_at=now, last_seen_at=now,
                         expires_at=now + limits.absolute)
    session.add(row)
    session.flush()
    audit.record(session, org_id=account.org_id,
                 actor=Actor("account", account.id, request_id=request_id),
                 action="console.signed_in", target_type="user", target_id=account.id)
    return secret


@dataclass(frozen=True)
class SignedIn:
    """The admin behind a console request."""

    session_id: str
    account: Account
    role: str
    touch: bool


def resume_session(session: Session, secret: str, limits: SessionLimits,
                   now: datetime | None = None) -> SignedIn | None:
    """The signed-in admin for a session secret, or None if it ended, idled or expired."""
    now = now or utcnow()
    row = session.scalars(select(ConsoleSession).where(
        ConsoleSession.secret_hash == secrets.digest(secret))).first()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if row.last_seen_at + limits.idle <= now:
        return None
    account = session.get(Account, row.account_id)
    role = console_role(account) if account is not None else None
    if account is None or role is None:
        return None
    # Note the activity at a minute's resolution, so reads rarely become writes.
    return SignedIn(row.id, account, role, touch=(now - row.last_seen_at) >= timedelta(minutes=1))


def touch_session(session: Session, session_id: str, now: datetime | None = None) -> None:
    session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id)
                    .values(last_seen_at=now or utcnow()))


def keep_result(session: Session, session_id: str, result: Any) -> None:
    """Keep an action's outcome with the session, for the page after the redirect."""
    session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id)
                    .values(last_result=result))


def last_result(session: Session, session_id: str) -> Any:
    return session.scalar(select(ConsoleSession.last_result)
                          .where(ConsoleSession.id == session_id))


def end_session(session: Session, session_id: str, now: datetime | None = None) -> None:
    """Sign out: the secret stops working at once, whoever holds it."""
    session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id,
                                                 ConsoleSession.ended_at.is_(None))
                    .values(ended_at=now or utcnow()))


def signing_key(session: Session, name: str = "console-session") -> str:
    """The shared secret named `name`, made by whichever worker asks first."""
    existing = session.get(ServerSecret, name)
    if existing is not None:
        return existing.value
    value = secrets.generate("")
    try:
        with session.begin_nested():
            session.add(ServerSecret(name=name, value=value))
    except IntegrityError:
        row = session.get(ServerSecret, name)
        assert row is not None
        return row.value
    return value
