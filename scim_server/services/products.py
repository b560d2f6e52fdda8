"""Products: apps on a site, with their roles and an optional seat limit."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Product, ProductGrant
from ..models.product import PRODUCT_ROLES
from . import audit
from .actors import Actor
from .errors import Conflict, InvalidInput, NotFound
from .licences import lock_products, used_seats
from .sites import get_site


def products_query(org_id: str, site_id: str | None = None) -> Select:
    """The organization's products, optionally of one site, for paging."""
    stmt = select(Product).where(Product.org_id == org_id)
    return stmt.where(Product.site_id == site_id) if site_id else stmt


def get_product(session: Session, org_id: str, product_id: str, *, lock: bool = False) -> Product:
    """One product of the organization."""
    product = session.get(Product, product_id)
    if product is None or product.org_id != org_id:
        raise NotFound(f"no product {product_id} in this organization")
    if lock:
        return lock_products(session, [product_id])[0]
    return product


def _check_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(PRODUCT_ROLES))
    if unknown or not roles:
        raise InvalidInput(f"roles must be a non-empty subset of {', '.join(PRODUCT_ROLES)}")
    return [r for r in PRODUCT_ROLES if r in roles]


def create_product(session: Session, org_id: str, site_id: str, key: str, name: str,
                   actor: Actor, *, seat_limit: int | None = None,
                   roles: list[str] | None = None) -> Product:
    """A new product on a site of the organization; keys are unique per site."""
    site = get_site(session, org_id, site_id)
    clash = session.scalars(
        select(Product).where(Product.site_id == site.id, Product.key == key)
    ).first()
    if clash is not None:
        raise Conflict(f"site {site.id} already has a product with key {key!r} ({clash.id})")
    product = Product(org_id=org_id, site_id=site.id, key=key, name=name, seat_limit=seat_limit,
                      roles=_check_roles(roles or list(PRODUCT_ROLES)))
    session.add(product)
    session.flush()
    audit.record(session, org_id=org_id, actor=actor, action="product.created",
                 target_type="product", target_id=product.id,
                 changes={"site_id": site.id, "key": key, "name": name,
                          "seat_limit": seat_limit, "roles": product.roles})
    return product


def update_product(session: Session, product: Product, changes: dict[str, Any],
                   actor: Actor) -> Product:
    """Change `name`, `seat_limit` or `roles`; a limit below the seats in use is refused."""
    if "roles" in changes:
        changes = {**changes, "roles": _check_roles(changes["roles"])}
    diff = {k: [getattr(product, k), v] for k, v in changes.items() if getattr(product, k) != v}
    if diff.get("seat_limit", [None, None])[1] is not None:
        used = used_seats(session, product)
        if changes["seat_limit"] < used:
            raise Conflict(f"{used} seats of {product.key!r} are in use; a limit of "
                           f"{changes['seat_limit']} would be below that. Free seats first")
    if "roles" in diff:
        _check_roles_in_use(session, product, changes["roles"])
    for key, (_old, new) in diff.items():
        setattr(product, key, new)
    session.flush()
    if diff:
        audit.record(session, org_id=product.org_id, actor=actor, action="product.updated",
                     target_type="product", target_id=product.id, changes=diff)
    return product


def _check_roles_in_use(session: Session, product: Product, roles: list[str]) -> None:
    in_use = session.scalars(
        select(ProductGrant.role).where(ProductGrant.product_id == product.id,
                                        ProductGrant.role.not_in(roles)).limit(1)
    ).first()
    if in_use is not None:
        raise Conflict(f"grants with role {in_use!r} exist; revoke them before removing the role")
