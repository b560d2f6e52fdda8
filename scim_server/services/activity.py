"""Product activity: products report that an account used them; accounts keep the latest.

Each account has a last-active time per product (`ProductActivity`) and overall
(`Account.last_active_at`). Reports may arrive late and out of order, so both only ever
move forward. Activity is telemetry, not a change an admin made: only the first report
of an account on a product writes an audit event, so a busy product cannot flood the log.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Account, Product, ProductActivity, utcnow
from . import audit
from .access_requests import find_account
from .actors import Actor
from .errors import InvalidInput, NotFound

CLOCK_SKEW = timedelta(minutes=5)


def record_activity(session: Session, org_id: str, product_id: str, actor: Actor, *,
                    account_id: str | None = None, email: str | None = None,
                    at: datetime | None = None) -> tuple[ProductActivity, Account]:
    """Note that the account used the product at `at` (default now); later times win."""
    product = session.get(Product, product_id)
    if product is None or product.org_id != org_id:
        raise NotFound(f"no product {product_id} in this organization")
    account = find_account(session, org_id, account_id=account_id, email=email)
    now = utcnow()
    at = at or now
    if at > now + CLOCK_SKEW:
        raise InvalidInput(f"`at` ({at.isoformat()}) is in the future; report activity that "
                           "happened")
    row = session.get(ProductActivity, (account.id, product.id))
    if row is None:
        row = ProductActivity(account_id=account.id, product_id=product.id, last_active_at=at)
        try:
            with session.begin_nested():  # a concurrent first report of the same pair
                session.add(row)
            audit.record(session, org_id=org_id, actor=actor, action="activity.first_seen",
                         target_type="user", target_id=account.id,
                         changes={"product_id": product.id, "at": at.isoformat()})
        except IntegrityError:
            row = session.get(ProductActivity, (account.id, product.id), populate_existing=True)
            if row is None:
                raise
    if row.last_active_at < at:
        row.last_active_at = at
    if account.last_active_at is None or account.last_active_at < at:
        account.last_active_at = at
    account.has_accessed = True
    session.flush()
    return row, account
