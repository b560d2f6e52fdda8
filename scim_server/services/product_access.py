"""Product access: grants to accounts and groups, and the effective access they add up to.

Effective access of an account is its direct grants together with the grants to every
group it belongs to, directly or through nested groups; each entry lists the routes
that give it, so an admin can see why someone has a product.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Account, Group, GroupMember, Product, ProductGrant, SiteAccess
from . import audit, group_nesting
from .actors import Actor
from .errors import Conflict, InvalidInput, NotFound
from .licences import accounts_in_groups, seat_guard

ROLE_RANK = {"user": 1, "admin": 2}


@dataclass(frozen=True)
class Route:
    """One reason an account has a product: a direct grant or a grant to a group."""

    type: str
    role: str
    grant_id: str
    group_id: str | None = None
    group_name: str | None = None
    nested: bool = False


@dataclass
class ProductAccess:
    """A product an account can use, with the highest role any route gives."""

    product_id: str
    role: str
    routes: list[Route] = field(default_factory=list)


def group_ancestry(account_ids: Iterable[str]) -> Select:
    """Rows (account_id, group_id) for every group each account belongs to, at any depth."""
    tree = group_nesting.account_groups(list(account_ids), "ancestry")
    return select(tree.c.account_id, tree.c.group_id).distinct()


def effective_access(session: Session, account_ids: Iterable[str]
                     ) -> dict[str, list[ProductAccess]]:
    """The product access of each account, with routes, keyed by account id."""
    ids = list(dict.fromkeys(account_ids))
    result: dict[str, dict[str, ProductAccess]] = {a: {} for a in ids}
    if not ids:
        return {}
    removed = {
        (row.account_id, row.site_id)
        for row in session.scalars(
            select(SiteAccess).where(SiteAccess.account_id.in_(ids),
                                     SiteAccess.removed_at.is_not(None))
        )
    }
    direct_groups = set(session.execute(
        select(GroupMember.member_id, GroupMember.group_id)
        .where(GroupMember.member_type == "User", GroupMember.member_id.in_(ids))
    ))

    def add(account_id: str, grant: ProductGrant, site_id: str, route: Route) -> None:
        if (account_id, site_id) in removed:
            return
        entry = result[account_id].setdefault(
            grant.product_id, ProductAccess(grant.product_id, grant.role)
        )
        entry.routes.append(route)
        if ROLE_RANK.get(grant.role, 0) > ROLE_RANK.get(entry.role, 0):
            entry.role = grant.role

    direct = session.execute(
        select(ProductGrant, Product.site_id)
        .join(Product, Product.id == ProductGrant.product_id)
        .where(ProductGrant.account_id.in_(ids))
        .order_by(ProductGrant.created_at, ProductGrant.id)
    )
    for grant, site_id in direct:
        add(str(grant.account_id), grant, site_id, Route("direct", grant.role, grant.id))
    ancestry = group_ancestry(ids).subquery("ancestry_rows")
    via_groups = session.execute(
        select(ancestry.c.account_id, ProductGrant, Product.site_id, Group.display_name)
        .join(ProductGrant, ProductGrant.group_id == ancestry.c.group_id)
        .join(Product, Product.id == ProductGrant.product_id)
        .join(Group, Group.id == ProductGrant.group_id)
        .order_by(Group.display_name, ProductGrant.id)
    )
    for account_id, grant, site_id, group_name in via_groups:
        nested = (account_id, grant.group_id) not in direct_groups
        add(account_id, grant, site_id,
            Route("group", grant.role, grant.id, grant.group_id, group_name, nested))
    return {a: list(products.values()) for a, products in result.items()}


def accounts_with_product(product_id: str) -> Select:
    """Ids of the accounts with access to the product by any route (for list filters)."""
    from .licences import holders_of

    return holders_of(product_id)


def _product(session: Session, org_id: str, product_id: str) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.org_id != org_id:
        raise NotFound(f"no product {product_id} in this organization")
    return product


def _check_role(product: Product, role: str) -> None:
    if role not in (product.roles or []):
        raise InvalidInput(
            f"role {role!r} is not a role of product {product.key!r}; "
            f"choose one of {', '.join(product.roles or [])}"
        )


def get_grant(session: Session, org_id: str, product_id: str, *, account_id: str | None = None,
              group_id: str | None = None) -> ProductGrant | None:
    """The grant of the product to exactly one account or one group, if any."""
    _product(session, org_id, product_id)
    column = ProductGrant.account_id if account_id else ProductGrant.group_id
    return session.scalars(
        select(ProductGrant).where(ProductGrant.product_id == product_id,
                                   column == (account_id or group_id))
    ).first()


def grant_to_account(session: Session, org_id: str, product_id: str, account_id: str,
                     role: str, actor: Actor) -> tuple[ProductGrant, bool]:
    """Give an account a product role (idempotent); True when the grant is new."""
    product = _product(session, org_id, product_id)
    _check_role(product, role)
    account = session.get(Account, account_id)
    if account is None or account.org_id != org_id:
        raise NotFound(f"no user {account_id} in this organization")
    if account.status == "pending_deletion" or account.erased_at is not None:
        raise Conflict(f"user {account_id} is scheduled for deletion; cancel the deletion first")
    removed = session.get(SiteAccess, (account_id, product.site_id))
    if removed is not None and removed.removed_at is not None:
        raise Conflict(f"user {account_id} was removed from the product's site "
                       f"{product.site_id}; add them back to the site first")
    return _upsert(session, product, role, actor, account_id=account_id)


def grant_to_group(session: Session, org_id: str, product_id: str, group_id: str,
                   role: str, actor: Actor) -> tuple[ProductGrant, bool]:
    """Give every member of a group (nested groups included) a product role (idempotent)."""
    product = _product(session, org_id, product_id)
    _check_role(product, role)
    group = session.get(Group, group_id)
    if group is None or group.org_id != org_id:
        raise NotFound(f"no group {group_id} in this organization")
    return _upsert(session, product, role, actor, group_id=group_id)


def _upsert(session: Session, product: Product, role: str, actor: Actor, *,
            account_id: str | None = None, group_id: str | None = None
            ) -> tuple[ProductGrant, bool]:
    with seat_guard(session, [product.id]):
        grant = get_grant(session, product.org_id, product.id, account_id=account_id,
                          group_id=group_id)
        created = grant is None
        if grant is not None and grant.role == role:
            return grant, False
        if grant is None:
            grant = ProductGrant(org_id=product.org_id, product_id=product.id,
                                 account_id=account_id, group_id=group_id, role=role,
                                 origin="admin")
            session.add(grant)
            changes: dict[str, object] = {"product_id": product.id, "role": role}
        else:
            changes = {"product_id": product.id, "role": [grant.role, role]}
            grant.role = role
        session.flush()
    audit.record(session, org_id=product.org_id, actor=actor,
                 action="product_grant.created" if created else "product_grant.updated",
                 target_type="user" if account_id else "group",
                 target_id=account_id or group_id, changes=changes)
    return grant, created


def revoke(session: Session, org_id: str, product_id: str, actor: Actor, *,
           account_id: str | None = None, group_id: str | None = None) -> bool:
    """Remove a grant (idempotent); True when there was one to remove."""
    grant = get_grant(session, org_id, product_id, account_id=account_id, group_id=group_id)
    if grant is None:
        return False
    session.delete(grant)
    session.flush()
    audit.record(session, org_id=org_id, actor=actor, action="product_grant.revoked",
                 target_type="user" if account_id else "group",
                 target_id=account_id or group_id,
                 changes={"product_id": product_id, "role": grant.role})
    return True


def grants_query(org_id: str, product_id: str) -> Select:
    """Every grant of a product, for paging."""
    return select(ProductGrant).where(ProductGrant.org_id == org_id,
                                      ProductGrant.product_id == product_id)


def group_member_accounts(group_id: str) -> Select:
    """Ids of a group's member accounts, nested groups included."""
    return accounts_in_groups(select(Group.id).where(Group.id == group_id))
