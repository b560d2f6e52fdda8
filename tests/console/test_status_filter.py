"""The users page's invitation-status filter (SQL) agrees with the status every page shows."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from flask import Flask
from sqlalchemy import select, update

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, Invitation, SiteAccess, utcnow
from scim_server.services.invitation_status import (INVITATION_STATUSES, account_status_clause,
                                                    invitation_statuses)
from tests.console.conftest import AdminClient


def test_the_filter_and_the_shown_status_agree(app: Flask, tenant: Tenant, admin: AdminClient,
                                               site_id: str,
                                               make_account: Callable[..., str]) -> None:
    make_account("synced@acme.test", synced=True)
    make_account("gone@acme.test", status="deactivated")
    make_account("busy@acme.test", has_accessed=True)
    removed = make_account("removed@acme.test")
    admin.delete(f"/users/{removed}/sites/{site_id}")
    admin.post("/invitations", json={"emails": "pending@acme.test expired@acme.test "
                                               "accepted@acme.test resent@acme.test"})
    admin.post("/invitations", json={"emails": "quiet@acme.test", "send_email": False})
    with app.app_context():
        session = db.new_session(app)
        by_email = {a.email: a for a in session.scalars(select(Account))}
        session.execute(update(Invitation).where(
            Invitation.account_id == by_email["expired@acme.test"].id)
            .values(expires_at=utcnow() - timedelta(days=1)))
        session.execute(update(Invitation).where(
            Invitation.account_id == by_email["accepted@acme.test"].id)
            .values(state="accepted", accepted_at=utcnow()))
        session.commit()
        session.close()
    resent = by_email["resent@acme.test"].id
    admin.post(f"/users/{resent}/invite")  # a newer invitation supersedes the first
    with app.app_context():
        session = db.new_session(app, writes=False)
        accounts = list(session.scalars(select(Account).where(Account.org_id == tenant.org_id)))
        shown = invitation_statuses(session, accounts)
        assert len(set(shown.values())) == len(INVITATION_STATUSES)  # every status occurs
        for status in INVITATION_STATUSES:
            filtered = set(session.scalars(select(Account.id).where(
                Account.org_id == tenant.org_id, account_status_clause(status))))
            assert filtered == {a for a, s in shown.items() if s == status}, status
        assert session.get(SiteAccess, (removed, site_id)) is not None
        session.close()
