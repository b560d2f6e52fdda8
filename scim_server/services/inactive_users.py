"""Inactive users: billable accounts nobody has seen for N days, and reclaiming their seats.

Billable means active and holding at least one seat (`services.licences`). Inactive means
the latest activity (or, for someone never active, the account's creation) is older than
N days. Organization admins are never swept, so a sweep cannot lock out the people who
run it. Deactivation keeps everything; a swept person can ask to come back with an
access request, and approving it restores them whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session

from ..models import Account, GroupMember, Organization, Product, ProductGrant, Site, utcnow
from . import account_lifecycle as lifecycle
from . import audit, group_nesting, outbox
from .actors import Actor
from .licences import not_removed_from_site
from .product_access import effective_access


@dataclass
class Sweep:
    """Who a sweep deactivates (or would), the seats each holds, seats per product freed."""

    days: int
    cutoff: datetime
    dry_run: bool
    accounts: list[Account] = field(default_factory=list)
    seats: dict[str, list[str]] = field(default_factory=dict)
    seats_reclaimed: dict[str, int] = field(default_factory=dict)
    notified: int = 0


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


def seat_holder_ids(org_id: str) -> Select:
    """Ids of accounts holding a seat of any product of the organization, whatever their
    status: a grant by any route, to a site they were not removed from."""
    granted = (select(ProductGrant.group_id.label("group_id"), Product.site_id.label("site_id"))
               .join(Product, Product.id == ProductGrant.product_id)
               .where(Product.org_id == org_id, ProductGrant.group_id.is_not(None)))
    closure = group_nesting.walk(granted, up=False, name="seat_groups")
    via_groups = (select(GroupMember.member_id.label("account_id"), closure.c.site_id)
                  .join(closure, GroupMember.group_id == closure.c.group_id)
                  .where(GroupMember.member_type == "User"))
    direct = (select(ProductGrant.account_id.label("account_id"),
                     Product.site_id.label("site_id"))
              .join(Product, Product.id == ProductGrant.product_id)
              .where(Product.org_id == org_id, ProductGrant.account_id.is_not(None)))
    pairs = union(direct, via_groups).subquery("seat_pairs")
    return select(pairs.c.account_id).where(
        not_removed_from_site(pairs.c.account_id, pairs.c.site_id))


def inactive_accounts_query(org_id: str, days: int, now: datetime | None = None) -> Select:
    """Active, non-admin accounts holding a seat, with no activity for `days` days."""
    last_seen = func.coalesce(Account.last_active_at, Account.created_at)
    return select(Account).where(
        Account.org_id == org_id, Account.status == "active", Account.is_org_admin.is_(False),
        last_seen < cutoff_for(days, now), Account.id.in_(seat_holder_ids(org_id)))


def seats_held(session: Session, account_ids: list[str]) -> dict[str, list[str]]:
    """The products whose seats each (active) account holds, by product id."""
    return {a: [p.product_id for p in access]
            for a, access in effective_access(session, account_ids).items()}


def sweep(session: Session, org_id: str, days: int, actor: Actor, *, dry_run: bool,
          notify: bool = False, message: str | None = None,
          now: datetime | None = None, public_url: str | None = None) -> Sweep:
    """Deactivate every inactive billable account in one audited operation, or show who.

    With `public_url`, each notice links to the request page of a product the person held
    (`/request-access?product=`), so coming back is one page away, not a login screen.
    """
    result = Sweep(days, cutoff_for(days, now), dry_run)
    stmt = inactive_accounts_query(org_id, days, now).order_by(Account.created_at, Account.id)
    if not dry_run:
        stmt = stmt.with_for_update()
    result.accounts = list(session.scalars(stmt))
    result.seats = seats_held(session, [a.id for a in result.accounts])
    for products in result.seats.values():
        for product_id in products:
            result.seats_reclaimed[product_id] = result.seats_reclaimed.get(product_id, 0) + 1
    if dry_run or not result.accounts:
        return result
    for account in result.accounts:
        lifecycle.deactivate(session, org_id, account.id, actor)
    audit.record(session, org_id=org_id, actor=actor, action="users.inactive_deactivated",
                 target_type="organization", target_id=org_id,
                 changes={"days": days, "cutoff": result.cutoff.isoformat(),
                          "accounts": [a.id for a in result.accounts],
                          "seats_reclaimed": result.seats_reclaimed, "notify": notify})
    if notify:
        result.notified = _notify(session, org_id, result, message, public_url)
    return result


def _notify(session: Session, org_id: str, result: Sweep, message: str | None,
            public_url: str | None) -> int:
    """Email each swept person why, and how to ask to come back."""
    org = session.get(Organization, org_id)
    sites = dict(session.execute(
        select(Product.id, Site.url).join(Site, Site.id == Product.site_id)
        .where(Product.org_id == org_id)).all())
    names = dict(session.execute(select(Product.id, Product.name)
                                 .where(Product.org_id == org_id)).all())
    sent = 0
    for account in result.accounts:
        if not account.email:
            continue
        held = result.seats.get(account.id, [])
        text = message or (
            f"You had not used {', '.join(names[p] for p in held)} for {result.days} days, "
            "so your account was deactivated to free its licence. When you need it again, "
            "ask for access: an administrator will be told, and approving restores your "
            "account with everything it had.")
        outbox.enqueue(session, org_id=org_id, to=account.email,
                       template="deactivation_notice",
                       context={"org_name": org.name if org else org_id, "message": text,
                                "request_access_url": _request_page(public_url, held, sites)},
                       cause=f"inactive_deactivation:{account.id}:{account.deactivated_at}")
        sent += 1
    return sent


def _request_page(public_url: str | None, held: list[str], sites: dict[str, str]) -> str | None:
    """Where the notice sends the person to ask again: the request page, else a site."""
    if public_url and held:
        return f"{public_url.rstrip('/')}/request-access?product={held[0]}"
    return next((sites[p] for p in held if sites.get(p)), None)
