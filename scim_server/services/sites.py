"""Sites of an organization: where products live."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Product, Site
from . import audit
from .actors import Actor
from .errors import Conflict, NotFound


def sites_query(org_id: str) -> Select:
    """Every site of the organization, for paging."""
    return select(Site).where(Site.org_id == org_id)


def get_site(session: Session, org_id: str, site_id: str, *, lock: bool = False) -> Site:
    """One site of the organization; another organization's site does not exist here."""
    stmt = select(Site).where(Site.id == site_id, Site.org_id == org_id)
    if lock:  # refresh a copy already in the session: the If-Match check reads this one
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    site = session.scalars(stmt).first()
    if site is None:
        raise NotFound(f"no site {site_id} in this organization")
    return site


def _check_name_free(session: Session, org_id: str, name: str, site_id: str | None) -> None:
    clash = session.scalars(
        select(Site).where(Site.org_id == org_id, Site.name == name, Site.id != (site_id or ""))
    ).first()
    if clash is not None:
        raise Conflict(f"a site named {name!r} already exists ({clash.id})")


def create_site(session: Session, org_id: str, name: str, url: str | None, actor: Actor) -> Site:
    """A new site of the organization; names are unique within it."""
    _check_name_free(session, org_id, name, None)
    site = Site(org_id=org_id, name=name, url=url)
    session.add(site)
    session.flush()
    audit.record(session, org_id=org_id, actor=actor, action="site.created",
                 target_type="site", target_id=site.id, changes={"name": name, "url": url})
    return site


def update_site(session: Session, site: Site, changes: dict[str, Any], actor: Actor) -> Site:
    """Change a site's `name` and/or `url`; recorded only when something differs."""
    diff = {k: [getattr(site, k), v] for k, v in changes.items() if getattr(site, k) != v}
    if "name" in diff:
        _check_name_free(session, site.org_id, changes["name"], site.id)
    for key, (_old, new) in diff.items():
        setattr(site, key, new)
    session.flush()
    if diff:
        audit.record(session, org_id=site.org_id, actor=actor, action="site.updated",
                     target_type="site", target_id=site.id, changes=diff)
    return site


def landing_site(session: Session, org_id: str, product_ids: list[str]) -> Site | None:
    """Where to send someone who just joined: the site of their first product that has an
    address, else the organization's first site that has one."""
    stmt = select(Site).where(Site.org_id == org_id, Site.url.is_not(None))
    if product_ids:
        hosting = session.scalars(stmt.join(Product, Product.site_id == Site.id)
                                  .where(Product.id.in_(product_ids))).first()
        if hosting is not None:
            return hosting
    return session.scalars(stmt.order_by(Site.created_at, Site.id)).first()
