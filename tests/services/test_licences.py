"""Seat counting and the seat guard, including two writers racing for the last seat."""
from __future__ import annotations

import threading
from typing import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, Group, Product, ProductGrant, Site, SiteAccess, utcnow
from scim_server.services import licences, product_access
from scim_server.services.actors import Actor
from scim_server.services.licences import SeatLimitExceeded


def test_seats_count_active_holders_by_any_route_once(
        db_session: Session, add_account: Callable[..., Account],
        add_product: Callable[..., Product], add_group: Callable[..., Group]) -> None:
    product = add_product(seat_limit=10)
    ann, ben, cat = add_account("ann@x.test"), add_account("ben@x.test"), add_account("cat@x.test")
    dee = add_account("dee@x.test", status="deactivated")
    eve = add_account("eve@x.test", status="pending_deletion")
    inner = add_group("inner", users=(ann.id, ben.id, dee.id, eve.id))
    outer = add_group("outer", users=(ann.id,), groups=(inner.id,))
    cyclic = add_group("cyclic", groups=(outer.id,))
    add_group("loop", groups=(cyclic.id,))
    db_session.add_all([
        ProductGrant(org_id=product.org_id, product_id=product.id, account_id=ann.id),
        ProductGrant(org_id=product.org_id, product_id=product.id, group_id=outer.id)])
    db_session.flush()
    assert licences.used_seats(db_session, product) == 2  # ann and ben; cat has no route
    assert set(db_session.scalars(licences.holders_of(product.id))) == {
        ann.id, ben.id, dee.id, eve.id}
    db_session.add(SiteAccess(account_id=ben.id, site_id=product.site_id, removed_at=utcnow()))
    db_session.flush()
    assert licences.used_seats(db_session, product) == 1
    [row] = [r for r in licences.licences(db_session, product.org_id) if r.product.id == product.id]
    assert (row.seat_limit, row.used, row.available) == (10, 1, 9)
    assert cat.id not in set(db_session.scalars(licences.seat_holders(product)))


def test_seat_guard_undoes_the_change_that_passes_the_limit(
        db_session: Session, add_account: Callable[..., Account],
        add_product: Callable[..., Product]) -> None:
    product = add_product(seat_limit=1)
    ann, ben = add_account("ann@x.test"), add_account("ben@x.test")
    with licences.seat_guard(db_session, [product.id]):
        db_session.add(ProductGrant(org_id=product.org_id, product_id=product.id,
                                    account_id=ann.id))
    with pytest.raises(SeatLimitExceeded) as raised:
        with licences.seat_guard(db_session, [product.id]):
            db_session.add(ProductGrant(org_id=product.org_id, product_id=product.id,
                                        account_id=ben.id))
    assert (raised.value.used, raised.value.requested) == (1, 1)
    grants = db_session.scalars(select(ProductGrant.account_id)).all()
    assert grants == [ann.id]  # the savepoint took back ben's grant, ann's stays


def test_a_product_over_its_limit_still_allows_changes_that_add_no_seat(
        db_session: Session, add_account: Callable[..., Account],
        add_product: Callable[..., Product]) -> None:
    product = add_product(seat_limit=5)
    accounts = [add_account(f"u{i}@x.test") for i in range(3)]
    for account in accounts:
        db_session.add(ProductGrant(org_id=product.org_id, product_id=product.id,
                                    account_id=account.id))
    product.seat_limit = 2  # as if a directory had pushed members past it
    db_session.flush()
    with licences.seat_guard(db_session, [product.id]):
        accounts[0].status = "deactivated"
    assert licences.used_seats(db_session, product) == 2


def test_two_sessions_racing_for_the_last_seat(app: Flask, tenant: Tenant) -> None:
    """Session A holds the product lock; B waits for it, then sees A's seat and fails."""
    with app.app_context():
        setup = db.new_session(app)
        site_id = setup.scalars(select(Site.id).where(Site.org_id == tenant.org_id)).one()
        product = Product(org_id=tenant.org_id, site_id=site_id, key="p", name="P",
                          seat_limit=1)
        ann = Account(org_id=tenant.org_id, email="ann@x.test", email_norm="ann@x.test")
        ben = Account(org_id=tenant.org_id, email="ben@x.test", email_norm="ben@x.test")
        setup.add_all([product, ann, ben])
        setup.commit()
        ids = (product.id, ann.id, ben.id)
        setup.close()
        first, second = db.new_session(app), db.new_session(app)
        product_access.grant_to_account(first, tenant.org_id, ids[0], ids[1], "user",
                                        Actor.system())
        outcome: list[object] = []

        def contend() -> None:
            with app.app_context():
                try:
                    product_access.grant_to_account(second, tenant.org_id, ids[0], ids[2],
                                                    "user", Actor.system())
                    second.commit()
                    outcome.append("granted")
                except SeatLimitExceeded as exc:
                    second.rollback()
                    outcome.append(exc)

        thread = threading.Thread(target=contend)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive() and outcome == []  # B is waiting for A's lock
        first.commit()
        thread.join(timeout=30)
        assert len(outcome) == 1 and isinstance(outcome[0], SeatLimitExceeded)
        first.close()
        second.close()
        check = db.new_session(app)
        assert check.scalars(select(ProductGrant.account_id)).all() == [ids[1]]
        check.close()
