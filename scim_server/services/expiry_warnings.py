"""Warn org admins by email before a SCIM token or admin key expires (30 and 7 days ahead).

`queue_expiry_warnings` is meant to run periodically (the outbox worker's loop calls it;
running it often is harmless): it queues one outbox email per credential, threshold
and admin. The outbox `message_id` is derived from exactly those three, so a warning is
never queued twice, by any number of runs or workers. A credential nearer its end than
several thresholds gets only the most urgent warning. A credential that already has a
live successor (a rotated token, a replacement key with the same scopes) needs nothing
from the admin and gets no warning.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Account, AdminKey, Directory, Organization, OutboxMessage, ScimToken, utcnow
from .outbox import render

TEMPLATE = "token_expiry_warning"
DEFAULT_THRESHOLDS = (30, 7)


@dataclass(frozen=True)
class ExpiringCredential:
    """A SCIM token or admin key that will stop working, described for a person."""

    kind: str  # "scim_token" or "admin_key"
    id: str
    org_id: str
    label: str
    hint: str
    expires_at: datetime


def _live(model: type[ScimToken] | type[AdminKey], now: datetime, until: datetime) -> list:
    return [model.revoked_at.is_(None), model.expires_at.is_not(None),
            model.expires_at > now, model.expires_at <= until]


def _outlives(successor: ScimToken | AdminKey, credential: ScimToken | AdminKey) -> bool:
    ends = credential.expires_at
    return (successor.id != credential.id and successor.revoked_at is None
            and successor.created_at > credential.created_at and ends is not None
            and (successor.expires_at is None or successor.expires_at > ends))


def expiring_credentials(session: Session, now: datetime, within: timedelta
                         ) -> list[ExpiringCredential]:
    """Live tokens and keys that expire within `within` and have no live successor."""
    found: list[ExpiringCredential] = []
    tokens = session.execute(
        select(ScimToken, Directory).join(Directory, Directory.id == ScimToken.directory_id)
        .where(*_live(ScimToken, now, now + within)))
    for token, directory in tokens:
        siblings = session.scalars(select(ScimToken).where(
            ScimToken.directory_id == token.directory_id,
            or_(ScimToken.expires_at.is_(None), ScimToken.expires_at > token.expires_at)))
        if not any(_outlives(other, token) for other in siblings):
            found.append(ExpiringCredential(
                "scim_token", token.id, directory.org_id,
                f"SCIM token {token.name or token.id!r} of directory {directory.name!r}",
                token.hint, token.expires_at))  # type: ignore[arg-type]
    for key in session.scalars(select(AdminKey).where(*_live(AdminKey, now, now + within))):
        other_keys = session.scalars(select(AdminKey).where(AdminKey.org_id == key.org_id))
        if not any(_outlives(other, key) and set(key.scopes) <= set(other.scopes)
                   for other in other_keys):
            found.append(ExpiringCredential(
                "admin_key", key.id, key.org_id,
                f"admin key {key.name or key.id!r} ({', '.join(key.scopes)})",
                key.hint, key.expires_at))  # type: ignore[arg-type]
    return found


def message_id_for(credential: ExpiringCredential, threshold: int, account_id: str) -> str:
    """Stable per credential, threshold and recipient: the outbox refuses a second copy."""
    return f"expiry-warning.{credential.kind}.{credential.id}.{threshold}d.{account_id}"


def queue_expiry_warnings(session: Session, *, now: datetime | None = None,
                          thresholds: Iterable[int] = DEFAULT_THRESHOLDS) -> list[OutboxMessage]:
    """Queue the warnings now due; return the messages added by this call."""
    now = now or utcnow()
    days = sorted({int(d) for d in thresholds if int(d) > 0})
    if not days:
        return []
    queued: list[OutboxMessage] = []
    for credential in expiring_credentials(session, now, timedelta(days=days[-1])):
        threshold = next(d for d in days if credential.expires_at - now <= timedelta(days=d))
        org = session.get(Organization, credential.org_id)
        admins = session.scalars(select(Account).where(
            Account.org_id == credential.org_id, Account.is_org_admin.is_(True),
            Account.email.is_not(None), Account.status == "active").order_by(Account.id))
        for admin in admins:
            message = _message(credential, threshold, admin, org, now)
            if session.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.message_id == message.message_id)) is not None:
                continue
            try:
                with session.begin_nested():  # a concurrent run may have queued it already
                    session.add(message)
            except IntegrityError:
                continue
            queued.append(message)
    return queued


def days_until(expires_at: datetime, now: datetime) -> str:
    """"in 5 days" for 4 days 23 hours: the nearest whole day, not the floor (issue 17)."""
    left = expires_at - now
    if left < timedelta(days=1):
        return "within a day"
    days = round(left / timedelta(days=1))
    return f"in {days} day{'s' if days != 1 else ''}"


def _message(credential: ExpiringCredential, threshold: int, admin: Account,
             org: Organization | None, now: datetime) -> OutboxMessage:
    in_days = days_until(credential.expires_at, now)
    when = credential.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    org_name = org.name if org else credential.org_id
    if credential.kind == "scim_token":
        effect = "the identity provider can no longer provision users with it"
        remedy = (f"run `scim-server token rotate --token-id {credential.id}` (the old token "
                  "keeps working for an overlap) and paste the new token into the identity "
                  "provider")
    else:
        effect = "scripts and products that use it are refused"
        remedy = ("issue a new key with `scim-server admin-key create`, switch its users to it, "
                  "then revoke this one")
    subject, body_text, body_html = render(TEMPLATE, {
        "org_name": org_name, "credential_label": credential.label, "hint": credential.hint,
        "expires_at": when, "in_days": in_days, "effect": effect, "remedy": remedy})
    return OutboxMessage(
        org_id=credential.org_id,
        message_id=message_id_for(credential, threshold, admin.id),
        to=admin.email,
        template=TEMPLATE,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        context={"kind": credential.kind, "credential_id": credential.id,
                 "threshold_days": threshold, "expires_at": credential.expires_at.isoformat(),
                 "account_id": admin.id},
        status="queued",
        next_attempt_at=now,
    )
