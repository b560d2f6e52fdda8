"""Licence seats: who holds a seat of a product, and the guard that keeps limits.

An account holds a seat of a product while it is `active` and has access to the product
by any route (a direct grant, or a grant to a group it belongs to directly or through
nested groups), unless it was removed from the product's site. Billing counts the same.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from sqlalchemy import ColumnElement, Select, exists, func, select, union
from sqlalchemy.orm import Session

from ..models import Account, Product, ProductGrant, SiteAccess
from . import group_nesting
from .errors import LimitExceeded


class SeatLimitExceeded(LimitExceeded):
    """A change would take a product past its seat limit; nothing was changed."""

    def __init__(self, product: Product, used: int, requested: int):
        self.product_id = product.id
        self.seat_limit = product.seat_limit
        self.used = used
        self.requested = requested
        super().__init__(
            f"product {product.name!r} ({product.id}) has {product.seat_limit} seats, "
            f"{used} in use; this change needs {requested} more. Free seats or raise the "
            "seat limit, then retry"
        )


@dataclass(frozen=True)
class Licence:
    """Seats of one product: `available` is None when the product is unlimited."""

    product: Product
    seat_limit: int | None
    used: int

    @property
    def available(self) -> int | None:
        return None if self.seat_limit is None else max(self.seat_limit - self.used, 0)


def member_groups_closure(group_ids: Select) -> Select:
    """The groups in `group_ids` and every group nested in them (`group_nesting`)."""
    return group_nesting.descendants(group_ids, "granted_groups")


def accounts_in_groups(group_ids: Select) -> Select:
    """Ids of the accounts that are members of the groups, directly or through nesting."""
    return group_nesting.accounts_in(group_ids)


def holders_of(product_id: str) -> Select:
    """Ids of the accounts with access to the product by any route, whatever their status."""
    direct = select(ProductGrant.account_id.label("account_id")).where(
        ProductGrant.product_id == product_id, ProductGrant.account_id.is_not(None)
    )
    granted_groups = select(ProductGrant.group_id.label("group_id")).where(
        ProductGrant.product_id == product_id, ProductGrant.group_id.is_not(None)
    )
    via_groups = accounts_in_groups(granted_groups)
    holders = union(direct, via_groups).subquery("holders")
    return select(holders.c[0])


def not_removed_from_site(account_id: Any, site_id: Any) -> ColumnElement[bool]:
    """SQL condition: the account was not removed from the site."""
    return ~exists().where(
        SiteAccess.account_id == account_id,
        SiteAccess.site_id == site_id,
        SiteAccess.removed_at.is_not(None),
    )


def seat_holders(product: Product) -> Select:
    """Ids of the accounts that use a seat of the product now."""
    return select(Account.id).where(
        Account.org_id == product.org_id,
        Account.status == "active",
        Account.id.in_(holders_of(product.id)),
        not_removed_from_site(Account.id, product.site_id),
    )


def used_seats(session: Session, product: Product) -> int:
    """How many seats of the product are in use."""
    count = select(func.count()).select_from(seat_holders(product).subquery())
    return int(session.scalar(count) or 0)


def licences(session: Session, org_id: str) -> list[Licence]:
    """Seat limit and use of every product of the organization."""
    products = session.scalars(
        select(Product).where(Product.org_id == org_id).order_by(Product.created_at, Product.id)
    )
    return [Licence(p, p.seat_limit, used_seats(session, p)) for p in products]


def lock_products(session: Session, product_ids: Iterable[str]) -> list[Product]:
    """Lock the product rows, in id order so two writers never deadlock.

    On PostgreSQL this is `SELECT ... FOR UPDATE`: a second writer waits here and then
    counts seats including the first one's committed change. SQLite writers are already
    serialised by `BEGIN IMMEDIATE`.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return []
    stmt = select(Product).where(Product.id.in_(ids)).order_by(Product.id).with_for_update()
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


@contextmanager
def seat_guard(session: Session, product_ids: Iterable[str]) -> Iterator[None]:
    """Run a change in a savepoint; undo it and raise if it takes a product past its limit.

    A product already over its limit (a directory added members) may still see changes
    that do not add seats.
    """
    products = [p for p in lock_products(session, product_ids) if p.seat_limit is not None]
    before = {p.id: used_seats(session, p) for p in products}
    savepoint = session.begin_nested()
    try:
        yield
        session.flush()
        for product in products:
            after = used_seats(session, product)
            if after > product.seat_limit and after > before[product.id]:  # type: ignore[operator]
                raise SeatLimitExceeded(product, before[product.id], after - before[product.id])
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()


def products_reached_by_groups(group_ids: Select) -> Select:
    """Ids of the products granted to any of the groups or a group that contains them."""
    return select(ProductGrant.product_id).where(
        ProductGrant.group_id.in_(group_nesting.ancestors(group_ids, "member_of"))
    ).distinct()
