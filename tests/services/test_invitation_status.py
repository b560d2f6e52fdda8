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


def test_product_activity_counts_as_site_access(db_session: Session, tenant: Tenant,
                                                add_account: Callable[..., Account]) -> None:
    active = add_account("act@x.test", last_active_at=utcnow())
    _invite(db_session, active)
    assert invitation_status(db_session, active) == "has_site_access"


def test_the_sql_clause_agrees_with_the_computed_status(
        db_session: Session, tenant: Tenant, site: Site,
        add_account: Callable[..., Account]) -> None:
    from sqlalchemy import select

    from scim_server.services.invitation_status import (INVITATION_STATUSES,
                                                        invitation_status_clause)

    accounts = {
        "pending": add_account("p@x.test"), "expired": add_account("e@x.test"),
        "quiet": add_account("q@x.test"), "accepted": add_account("a@x.test"),
        "revoked": add_account("r@x.test"), "gone": add_account("g@x.test",
                                                                 status="deactivated"),
        "removed": add_account("rm@x.test"), "accessed": add_account("in@x.test",
                                                                     has_accessed=True),
        "resent": add_account("rs@x.test"),
    }
    _invite(db_session, accounts["pending"])
    _invite(db_session, accounts["expired"], days=-1)
    _invite(db_session, accounts["quiet"], send=False)
    _invite(db_session, accounts["accepted"], state="accepted")
    _invite(db_session, accounts["revoked"], state="revoked")
    _invite(db_session, accounts["gone"])
    _invite(db_session, accounts["removed"])
    _invite(db_session, accounts["accessed"])
    _invite(db_session, accounts["resent"], days=-3, state="superseded")
    _invite(db_session, accounts["resent"], days=5)
    db_session.add(SiteAccess(account_id=accounts["removed"].id, site_id=site.id,
                              removed_at=utcnow()))
    db_session.flush()
    computed = invitation_statuses(db_session, accounts.values())
    for word in INVITATION_STATUSES:
        rows = db_session.execute(
            select(Invitation.account_id, Invitation.state)
            .join(Account, Account.id == Invitation.account_id)
            .where(invitation_status_clause(word))).all()
        expected = {a for a, status in computed.items() if status == word}
        assert {account_id for account_id, _state in rows} == expected, word
        assert len(rows) == len(expected), word  # one row per account: its current one
        assert all(state != "superseded" for _a, state in rows)
