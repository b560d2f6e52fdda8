"""User interests: which products people ask for, and how fast admins answer.

For a window (7, 30 or 90 days) ending now, per product: requests filed, distinct
requesters, how many of those are approved, denied or still pending, the median time
from filing to decision, and the change in requests against the window before it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AccessRequest, Product, utcnow

WINDOWS = {"7d": 7, "30d": 30, "90d": 90}


@dataclass
class ProductInterest:
    """Interest in one product over the window, with the previous window's requests."""

    product: Product
    requests: int = 0
    requesters: int = 0
    approved: int = 0
    denied: int = 0
    pending: int = 0
    median_decision_seconds: float | None = None
    previous_requests: int = 0

    @property
    def change(self) -> int:
        return self.requests - self.previous_requests

    @property
    def change_percent(self) -> float | None:
        if not self.previous_requests:
            return None
        return round(100.0 * self.change / self.previous_requests, 1)


def interests(session: Session, org_id: str, window: str,
              now: datetime | None = None) -> list[ProductInterest]:
    """Interest per product asked for in this window or the one before, most asked first."""
    days = WINDOWS[window]
    until = now or utcnow()
    since = until - timedelta(days=days)
    before = since - timedelta(days=days)
    rows = session.execute(
        select(AccessRequest.product_id, AccessRequest.account_id, AccessRequest.status,
               AccessRequest.created_at, AccessRequest.decided_at)
        .where(AccessRequest.org_id == org_id, AccessRequest.created_at >= before,
               AccessRequest.created_at < until)).all()
    product_ids = sorted({r.product_id for r in rows})
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.id.in_(product_ids)))} if product_ids else {}
    result = {pid: ProductInterest(products[pid]) for pid in product_ids}
    requesters: dict[str, set[str]] = {pid: set() for pid in product_ids}
    waits: dict[str, list[float]] = {pid: [] for pid in product_ids}
    for row in rows:
        entry = result[row.product_id]
        if row.created_at < since:
            entry.previous_requests += 1
            continue
        entry.requests += 1
        requesters[row.product_id].add(row.account_id)
        setattr(entry, row.status, getattr(entry, row.status) + 1)
        if row.decided_at is not None:
            waits[row.product_id].append((row.decided_at - row.created_at).total_seconds())
    for pid, entry in result.items():
        entry.requesters = len(requesters[pid])
        entry.median_decision_seconds = median(waits[pid]) if waits[pid] else None
    return sorted(result.values(), key=lambda e: (-e.requests, -e.requesters, e.product.name))
