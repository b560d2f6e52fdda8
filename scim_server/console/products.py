"""Products: licence use against each seat limit, and who has access through groups."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import db
from ..models import Group, ProductGrant, Site
from ..services import licences, product_access
from .blueprint import commit, org_id, org_page
from .sessions import actor


@org_page("/products", area="org")
def products() -> Any:
    session = db.session()
    seats = licences.licences(session, org_id())
    sites = {s.id: s.name for s in session.scalars(select(Site).where(Site.org_id == org_id()))}
    group_grants: dict[str, list[tuple[ProductGrant, Group]]] = {}
    for grant, group in session.execute(
            select(ProductGrant, Group).join(Group, Group.id == ProductGrant.group_id)
            .where(ProductGrant.org_id == org_id()).order_by(Group.display_name)):
        group_grants.setdefault(grant.product_id, []).append((grant, group))
    return render_template("console/products.html", title="Products", seats=seats,
                           sites=sites, group_grants=group_grants)


@org_page("/products/<product_id>/groups/<group_id>/remove", area="org", methods=("POST",))
def product_group_remove(product_id: str, group_id: str) -> Response:
    """"Remove access" of a group: its members lose what only that grant gave them."""
    product_access.revoke(db.session(), org_id(), product_id, actor(), group_id=group_id)
    commit()
    flash("Access removed from the group.", "notice")
    return redirect(url_for("console.products"))
