"""The invitation status of an account, in the fixed words of the design brief.

Computed from the account, its site memberships and its invitations, so every reader
(admin API, invitations, reports) agrees on one answer.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    if account.has_accessed:
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
