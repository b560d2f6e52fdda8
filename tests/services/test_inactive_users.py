"""Inactive billable accounts: who holds a seat, who is stale, and the sweep."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, AuditEvent, Group, Product, ProductGrant, SiteAccess
from scim_server.services import inactive_users as service
from scim_server.services.actors import Actor

NOW = datetime(2026, 6, 30, tzinfo=timezone.utc)
LONG_AGO = NOW - timedelta(days=365)


def test_seat_holders_follow_nested_groups_and_site_removal(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_product: Callable[..., Product], add_group: Callable[..., Group]) -> None:
    jira = add_product("jira")
    direct, nested, removed, idle = (add_account(f"{n}@acme.test", created_at=LONG_AGO)
                                     for n in ("direct", "nested", "removed", "idle"))
    inner = add_group("inner", users=(nested.id, removed.id))
    outer = add_group("outer", groups=(inner.id,))
    db_session.add_all([
        ProductGrant(org_id=tenant.org_id, product_id=jira.id, account_id=direct.id),
        ProductGrant(org_id=tenant.org_id, product_id=jira.id, group_id=outer.id),
        SiteAccess(account_id=removed.id, site_id=jira.site_id, removed_at=LONG_AGO)])
    db_session.flush()
    holders = set(db_session.scalars(service.seat_holder_ids(tenant.org_id)))
    assert holders == {direct.id, nested.id}
    stale = db_session.scalars(service.inactive_accounts_query(tenant.org_id, 30, NOW)).all()
    assert {a.id for a in stale} == {direct.id, nested.id} and idle.id not in holders


def test_sweep_dry_run_then_for_real(db_session: Session, tenant: Tenant,
                                     add_account: Callable[..., Account],
                                     add_product: Callable[..., Product]) -> None:
    jira, wiki = add_product("jira"), add_product("wiki")
    stale = add_account("stale@acme.test", created_at=LONG_AGO,
                        last_active_at=NOW - timedelta(days=40))
    fresh = add_account("fresh@acme.test", created_at=LONG_AGO,
                        last_active_at=NOW - timedelta(days=2))
    boss = add_account("boss@acme.test", created_at=LONG_AGO, is_org_admin=True)
    for account in (stale, fresh, boss):
        db_session.add(ProductGrant(org_id=tenant.org_id, product_id=jira.id,
                                    account_id=account.id))
    db_session.add(ProductGrant(org_id=tenant.org_id, product_id=wiki.id, account_id=stale.id))
    db_session.flush()
    plan = service.sweep(db_session, tenant.org_id, 30, Actor.cli(), dry_run=True, now=NOW)
    assert [a.id for a in plan.accounts] == [stale.id]
    assert plan.seats_reclaimed == {jira.id: 1, wiki.id: 1}
    assert stale.status == "active"
    done = service.sweep(db_session, tenant.org_id, 30, Actor.cli(), dry_run=False,
                         notify=True, message="Ask to come back any time", now=NOW)
    assert (stale.status, fresh.status, boss.status) == ("deactivated", "active", "active")
    assert done.notified == 1
    [event] = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "users.inactive_deactivated")).all()
    assert event.changes["accounts"] == [stale.id] and event.changes["days"] == 30
