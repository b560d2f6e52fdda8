"""The invitation status of an account, in the fixed words of the design brief.

Computed from the account, its site memberships and its invitations, so every reader
(admin API, invitations, reports) agrees on one answer.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from ..models import Account, Invitation, Site, SiteAccess, utcnow

HAS_SITE_ACCESS = "has_site_access"
INVITATION_PENDING = "invitation_pending"
INVITATION_EXPIRED = "invitation_expired"
INVITATION_NOT_SENT = "invitation_not_sent"
NO_SITE_ACCESS = "no_site_access"
INVITATION_STATUSES = (HAS_SITE_ACCESS, INVITATION_PENDING, INVITATION_EXPIRED,
                       INVITATION_NOT_SENT, NO_SITE_ACCESS)

# Revoked and superseded invitations say nothing about the account any more.
_LIVE_STATES = ("pending", "accepted")


def invitation_status(session: Session, account: Account, now: datetime | None = None) -> str:
    """The invitation status of one account."""
    return invitation_statuses(session, [account], now)[account.id]


def invitation_statuses(
    session: Session, accounts: Iterable[Account], now: datetime | None = None
) -> dict[str, str]:
    """The invitation status of each account, keyed by account id, in three queries."""
    accounts = list(accounts)
    ids = [a.id for a in accounts]
    if not ids:
        return {}
    now = now or utcnow()
    removed: dict[str, int] = {}
    for row in session.scalars(select(SiteAccess).where(SiteAccess.account_id.in_(ids),
                                                        SiteAccess.removed_at.is_not(None))):
        removed[row.account_id] = removed.get(row.account_id, 0) + 1
    org_ids = {a.org_id for a in accounts}
    site_counts = {org: int(n) for org, n in session.execute(
        select(Site.org_id, func.count()).where(Site.org_id.in_(org_ids))
        .group_by(Site.org_id))}
    latest: dict[str, Invitation] = {}
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.account_id.in_(ids), Invitation.state.in_(_LIVE_STATES))
        .order_by(Invitation.created_at, Invitation.id)
    )
    for invitation in invitations:
        latest[invitation.account_id] = invitation  # the newest one wins
    return {
        a.id: _status(a, removed.get(a.id, 0) >= site_counts.get(a.org_id, 0) > 0,
                      latest.get(a.id), now)
        for a in accounts
    }


def _status(account: Account, removed_everywhere: bool, invitation: Invitation | None,
            now: datetime) -> str:
    if account.status != "active" or removed_everywhere:
        return NO_SITE_ACCESS
    if account.has_accessed or account.last_active_at is not None:
        return HAS_SITE_ACCESS
    if invitation is None:
        return INVITATION_NOT_SENT
    if invitation.state == "accepted":
        return HAS_SITE_ACCESS
    if not invitation.send_email:
        return INVITATION_NOT_SENT
    if invitation.expires_at <= now:
        return INVITATION_EXPIRED
    return INVITATION_PENDING


def _removed_everywhere() -> ColumnElement[bool]:
    """SQL: the account was removed from every site of its organization (and it has sites)."""
    removed = (select(func.count()).select_from(SiteAccess)
               .where(SiteAccess.account_id == Account.id, SiteAccess.removed_at.is_not(None))
               .scalar_subquery())
    sites = select(func.count()).select_from(Site).where(Site.org_id == Account.org_id)
    sites_count = sites.scalar_subquery()
    return and_(sites_count > 0, removed >= sites_count)


def is_current_invitation() -> ColumnElement[bool]:
    """SQL: the `Invitation` row is its account's newest one that was not superseded."""
    newer = aliased(Invitation)
    return and_(Invitation.state != "superseded", ~exists().where(
        newer.account_id == Invitation.account_id, newer.state != "superseded",
        or_(newer.created_at > Invitation.created_at,
            and_(newer.created_at == Invitation.created_at, newer.id > Invitation.id))))


def invitation_status_clause(status: str, now: datetime | None = None) -> ColumnElement[bool]:
    """SQL over `Invitation` joined to its `Account`: the row is the account's current
    invitation and the account's status is `status` (the same rules as `_status`)."""
    if status not in INVITATION_STATUSES:
        raise ValueError(f"unknown invitation status {status!r}")
    now = now or utcnow()
    inactive = or_(Account.status != "active", _removed_everywhere())
    accessed = or_(Account.has_accessed.is_(True), Account.last_active_at.is_not(None),
                   Invitation.state == "accepted")
    waiting = and_(not_(inactive), not_(accessed))
    sent = and_(Invitation.state == "pending", Invitation.send_email.is_(True))
    conditions = {
        NO_SITE_ACCESS: inactive,
        HAS_SITE_ACCESS: and_(not_(inactive), accessed),
        INVITATION_NOT_SENT: and_(waiting, or_(Invitation.state == "revoked", and_(
            Invitation.state == "pending", Invitation.send_email.is_(False)))),
        INVITATION_EXPIRED: and_(waiting, sent, Invitation.expires_at <= now),
        INVITATION_PENDING: and_(waiting, sent, Invitation.expires_at > now),
    }
    return and_(is_current_invitation(), conditions[status])


def account_status_clause(status: str, now: datetime | None = None) -> ColumnElement[bool]:
    """SQL over `Account`: the account's invitation status is `status` (the rules of
    `_status`, with the newest pending or accepted invitation as `invitation`)."""
    if status not in INVITATION_STATUSES:
        raise ValueError(f"unknown invitation status {status!r}")
    now = now or utcnow()
    latest = (select(Invitation.id)
              .where(Invitation.account_id == Account.id, Invitation.state.in_(_LIVE_STATES))
              .order_by(Invitation.created_at.desc(), Invitation.id.desc())
              .limit(1).correlate(Account).scalar_subquery())

    def latest_is(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(Invitation.id == latest, *conditions)

    inactive = or_(Account.status != "active", _removed_everywhere())
    accessed = or_(Account.has_accessed.is_(True), Account.last_active_at.is_not(None),
                   latest_is(Invitation.state == "accepted"))
    waiting = and_(not_(inactive), not_(accessed))
    sent = and_(Invitation.send_email.is_(True), Invitation.state == "pending")
    # A set read once (hashed), so a page of the few pending or expired accounts does not
    # run the per-account checks on every account it walks past.
    emailed = select(Invitation.account_id).where(Invitation.state == "pending",
                                                  Invitation.send_email.is_(True))
    conditions = {
        NO_SITE_ACCESS: inactive,
        HAS_SITE_ACCESS: and_(not_(inactive), accessed),
        INVITATION_NOT_SENT: and_(waiting, or_(~exists().where(Invitation.id == latest),
                                               latest_is(Invitation.send_email.is_(False)))),
        INVITATION_EXPIRED: and_(Account.id.in_(emailed.where(Invitation.expires_at <= now)),
                                 waiting, latest_is(sent, Invitation.expires_at <= now)),
        INVITATION_PENDING: and_(Account.id.in_(emailed.where(Invitation.expires_at > now)),
                                 waiting, latest_is(sent, Invitation.expires_at > now)),
    }
    return conditions[status]
