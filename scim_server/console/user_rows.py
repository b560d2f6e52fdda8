"""What the users pages show of accounts, built from the same services as the admin API."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, Product, ProductGrant
from ..services import org_accounts
from ..services.invitation_status import invitation_statuses
from ..services.product_access import effective_access

ORIGIN_WORDS = {"admin": "Direct", "invitation": "Invitation",
                "access_request": "Approved request", "domain_rule": "Domain rule"}


@dataclass
class UserRow:
    """One account as a console row: status words come from the services."""

    account: Account
    invitation_status: str
    products: list[dict[str, Any]] = field(default_factory=list)
    groups: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.account.display_name or self.account.email or self.account.id

    @property
    def last_active(self) -> datetime | None:
        return self.account.last_active_at


def product_names(session: Session, org_id: str) -> dict[str, str]:
    return {pid: name for pid, name in session.execute(
        select(Product.id, Product.name).where(Product.org_id == org_id)
        .order_by(Product.name, Product.id))}


def user_rows(session: Session, org_id: str, accounts: list[Account]) -> list[UserRow]:
    """Rows with invitation status, products (with routes) and groups, in a few queries."""
    ids = [a.id for a in accounts]
    statuses = invitation_statuses(session, accounts)
    access = effective_access(session, ids) if ids else {}
    groups = org_accounts.direct_groups(session, ids)
    names = product_names(session, org_id)
    grant_ids = [route.grant_id for items in access.values() for item in items
                 for route in item.routes]
    origins = {gid: origin for gid, origin in session.execute(
        select(ProductGrant.id, ProductGrant.origin).where(ProductGrant.id.in_(grant_ids)))
    } if grant_ids else {}
    rows = []
    for account in accounts:
        products = []
        for item in access.get(account.id, []):
            routes = []
            for route in item.routes:
                if route.type == "group":
                    routes.append({"type": "group", "label": f"Group {route.group_name}"
                                   + (" (nested)" if route.nested else ""),
                                   "group_id": route.group_id, "role": route.role})
                else:
                    word = ORIGIN_WORDS.get(origins.get(route.grant_id, "admin"), "Direct")
                    routes.append({"type": "direct", "label": word, "role": route.role})
            products.append({"product_id": item.product_id, "role": item.role,
                             "name": names.get(item.product_id, item.product_id),
                             "routes": routes})
        rows.append(UserRow(account, statuses[account.id], products, groups.get(account.id, [])))
    return rows
