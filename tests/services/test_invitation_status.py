"""Invitation status words, computed from account, sites and invitations."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, Invitation, Site, SiteAccess, utcnow
from scim_server.services.invitation_status import invitation_status, invitation_statuses


def _invite(db_session: Session, account: Account, *, days: int = 7, send: bool = True,
            state: str = "pending") -> None:
    db_session.add(Invitation(org_id=account.org_id, account_id=account.id,
                              token_hash=f"h-{account.id}-{days}-{state}", send_email=send,
                              state=state, expires_at=utcnow() + timedelta(days=days)))
    db_session.flush()


def test_each_word(db_session: Session, tenant: Tenant, site: Site,
                   add_account: Callable[..., Account]) -> None:
    synced = add_account("s@x.test", source="synced")
    pending, expired = add_account("p@x.test"), add_account("e@x.test")
    quiet, accepted = add_account("q@x.test"), add_account("a@x.test")
    revoked = add_account("r@x.test")
    gone = add_account("g@x.test", status="deactivated")
    removed = add_account("rm@x.test", has_accessed=True)
    _invite(db_session, pending)
    _invite(db_session, expired, days=-1)
    _invite(db_session, quiet, send=False)
    _invite(db_session, accepted, state="accepted")
    _invite(db_session, revoked, state="revoked")
    db_session.add(SiteAccess(account_id=removed.id, site_id=site.id, removed_at=utcnow()))
    db_session.flush()
    words = invitation_statuses(db_session, [synced, pending, expired, quiet, accepted,
                                             revoked, gone, removed])
    assert words == {
        synced.id: "invitation_not_sent", pending.id: "invitation_pending",
        expired.id: "invitation_expired", quiet.id: "invitation_not_sent",
        accepted.id: "has_site_access", revoked.id: "invitation_not_sent",
        gone.id: "no_site_access", removed.id: "no_site_access"}
    assert invitation_status(db_session, pending, now=utcnow() + timedelta(days=8)) == (
        "invitation_expired")
    assert invitation_statuses(db_session, []) == {}


def test_removed_from_one_site_of_two_keeps_site_access(
        db_session: Session, tenant: Tenant, site: Site,
        add_account: Callable[..., Account]) -> None:
    db_session.add(Site(org_id=tenant.org_id, name="Second"))
    ada = add_account("ada@x.test", has_accessed=True)
    db_session.add(SiteAccess(account_id=ada.id, site_id=site.id, removed_at=utcnow()))
    db_session.flush()
    assert invitation_status(db_session, ada) == "has_site_access"
