"""What an admin needs to decide an access request, read in a fixed number of queries.

The admin API, the console and the emailed review page all show the same facts: who asks
(status, source, groups, last active, current access), for what, and the seats left.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AccessRequest, Account, Product, Site
from . import org_accounts
from .licences import used_seats
from .product_access import effective_access


def request_documents(session: Session, requests: list[AccessRequest]) -> list[dict[str, Any]]:
    """Requests with what an admin needs to decide, in a fixed number of queries per page."""
    account_ids = list(dict.fromkeys(r.account_id for r in requests))
    product_ids = list(dict.fromkeys(r.product_id for r in requests))
    accounts = {a.id: a for a in session.scalars(
        select(Account).where(Account.id.in_(account_ids)))} if account_ids else {}
    products: dict[str, tuple[Product, str | None]] = {}
    if product_ids:
        rows = session.execute(select(Product, Site.name).join(Site, Site.id == Product.site_id)
                               .where(Product.id.in_(product_ids)))
        products = {p.id: (p, site_name) for p, site_name in rows}
    seats_left = {pid: (None if p.seat_limit is None
                        else max(p.seat_limit - used_seats(session, p), 0))
                  for pid, (p, _name) in products.items()}
    groups = org_accounts.direct_groups(session, account_ids)
    access = effective_access(session, account_ids)
    docs = []
    for r in requests:
        account, (product, site_name) = accounts[r.account_id], products[r.product_id]
        docs.append({
            "id": r.id, "account_id": r.account_id, "product_id": r.product_id,
            "status": r.status, "reason": r.reason, "decision_message": r.decision_message,
            "role": r.role, "source": r.source, "filed_by": r.filed_by,
            "created_at": r.created_at, "decided_at": r.decided_at,
            "decided_by": r.decided_by, "reopened_at": r.reopened_at,
            "account": {
                "id": account.id, "email": account.email, "display_name": account.display_name,
                "status": account.status, "source": account.source,
                "last_active": account.last_active_at,
                "groups": [{"id": grp.id, "name": grp.display_name, "source": grp.source}
                           for grp in groups.get(account.id, [])],
                "product_access": [{"product_id": a.product_id, "role": a.role}
                                   for a in access.get(account.id, [])]},
            "product": {"id": product.id, "key": product.key, "name": product.name,
                        "site_id": product.site_id, "site_name": site_name,
                        "seat_limit": product.seat_limit,
                        "seats_left": seats_left[product.id]},
        })
    return docs
