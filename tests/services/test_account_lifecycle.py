"""Deactivate, reactivate, delete with grace, erase, and site membership."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import (Account, AuditEvent, Group, GroupMember, Invitation, Product,
                                ProductGrant, Site, SiteAccess, utcnow)
from scim_server.services import account_lifecycle as lifecycle
from scim_server.services import audit
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict
from scim_server.services.licences import SeatLimitExceeded, used_seats

ACTOR = Actor("admin_key", "k1")


def test_deactivate_keeps_everything_and_reactivate_restores_it(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_product: Callable[..., Product], add_group: Callable[..., Group]) -> None:
    product = add_product(seat_limit=1)
    ann = add_account("ann@x.test")
    group = add_group("g", users=(ann.id,))
    db_session.add(ProductGrant(org_id=tenant.org_id, product_id=product.id, group_id=group.id))
    db_session.flush()
    lifecycle.deactivate(db_session, tenant.org_id, ann.id, ACTOR)
    assert (ann.status, used_seats(db_session, product)) == ("deactivated", 0)
    assert db_session.get(GroupMember, (group.id, ann.id)) is not None
    lifecycle.reactivate(db_session, tenant.org_id, ann.id, ACTOR)
    assert (ann.status, ann.deactivated_at, used_seats(db_session, product)) == ("active", None, 1)
    assert lifecycle.reactivate(db_session, tenant.org_id, ann.id, ACTOR).status == "active"


def test_reactivation_past_the_limit_changes_nothing(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_product: Callable[..., Product]) -> None:
    product = add_product(seat_limit=1)
    ann, ben = add_account("ann@x.test", status="deactivated"), add_account("ben@x.test")
    ann.deactivated_at = utcnow()
    for account in (ann, ben):
        db_session.add(ProductGrant(org_id=tenant.org_id, product_id=product.id,
                                    account_id=account.id))
    db_session.flush()
    with pytest.raises(SeatLimitExceeded):
        lifecycle.reactivate(db_session, tenant.org_id, ann.id, ACTOR)
    db_session.refresh(ann)
    assert ann.status == "deactivated" and ann.deactivated_at is not None


def test_deletion_grace_cancel_and_erasure(db_session: Session, tenant: Tenant, site: Site,
                                           add_account: Callable[..., Account],
                                           add_product: Callable[..., Product],
                                           add_group: Callable[..., Group]) -> None:
    product = add_product()
    ann = add_account("ann@x.test", display_name="Ann")
    group = add_group("g", users=(ann.id,))
    group.member_count = 1
    db_session.add_all([
        ProductGrant(org_id=tenant.org_id, product_id=product.id, account_id=ann.id),
        SiteAccess(account_id=ann.id, site_id=site.id),
        Invitation(org_id=tenant.org_id, account_id=ann.id, token_hash="h",
                   expires_at=utcnow())])
    audit.record(db_session, org_id=tenant.org_id, actor=ACTOR, action="user.updated",
                 target_type="user", target_id=ann.id,
                 changes={"email": ["a@x", "ann@x.test"], "role": "user"})
    db_session.flush()
    now = utcnow()
    lifecycle.schedule_deletion(db_session, tenant.org_id, ann.id, ACTOR, now=now)
    assert ann.deletion_due_at == now + timedelta(days=14)
    lifecycle.cancel_deletion(db_session, tenant.org_id, ann.id, ACTOR)
    assert (ann.status, ann.deletion_due_at) == ("active", None)
    lifecycle.schedule_deletion(db_session, tenant.org_id, ann.id, ACTOR, now=now)
    assert lifecycle.erase_due_accounts(db_session, now=now + timedelta(days=13)) == []
    assert lifecycle.erase_due_accounts(db_session, now=now + timedelta(days=14)) == [ann.id]
    assert (ann.email, ann.email_norm, ann.display_name) == (None, None, None)
    assert ann.erased_at is not None and ann.status == "deactivated"
    for model in (ProductGrant, SiteAccess, Invitation, GroupMember):
        assert db_session.scalars(select(model)).all() == []
    assert group.member_count == 0
    changes = db_session.scalars(select(AuditEvent.changes).where(
        AuditEvent.action == "user.updated")).one()
    assert changes == {"email": "[erased]", "role": "user"}
    assert db_session.get(Account, ann.id) is not None  # the tombstone
    with pytest.raises(Conflict):
        lifecycle.reactivate(db_session, tenant.org_id, ann.id, ACTOR)


def test_synced_accounts_are_deleted_in_their_directory(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account]) -> None:
    sam = add_account("sam@x.test", source="synced", directory_id=tenant.directory_id)
    with pytest.raises(Conflict, match="Acme directory"):
        lifecycle.schedule_deletion(db_session, tenant.org_id, sam.id, ACTOR)


def test_remove_from_site_revokes_direct_grants_there_only(
        db_session: Session, tenant: Tenant, site: Site,
        add_account: Callable[..., Account], add_product: Callable[..., Product]) -> None:
    here = add_product("here")
    other = Site(org_id=tenant.org_id, name="Other")
    db_session.add(other)
    db_session.flush()
    there = Product(org_id=tenant.org_id, site_id=other.id, key="there", name="There")
    ann = add_account("ann@x.test")
    db_session.add(there)
    db_session.flush()
    for product in (here, there):
        db_session.add(ProductGrant(org_id=tenant.org_id, product_id=product.id,
                                    account_id=ann.id))
    db_session.flush()
    assert lifecycle.remove_from_site(db_session, tenant.org_id, ann.id, site.id, ACTOR)
    assert not lifecycle.remove_from_site(db_session, tenant.org_id, ann.id, site.id, ACTOR)
    assert db_session.scalars(select(ProductGrant.product_id)).all() == [there.id]
    row, created = lifecycle.add_to_site(db_session, tenant.org_id, ann.id, site.id, "trusted",
                                         ACTOR)
    assert created and row.removed_at is None and row.role == "trusted"
