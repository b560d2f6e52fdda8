"""Products: keys unique per site, roles, seat limits not below use."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, ProductGrant, Site
from scim_server.services import products
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict, InvalidInput, NotFound

ACTOR = Actor("admin_key", "k1")


def test_create_and_update(db_session: Session, tenant: Tenant, site: Site,
                           add_account: Callable[..., Account]) -> None:
    jira = products.create_product(db_session, tenant.org_id, site.id, "jira", "Jira", ACTOR,
                                   seat_limit=3, roles=["admin", "user"])
    assert jira.roles == ["user", "admin"]
    with pytest.raises(Conflict):
        products.create_product(db_session, tenant.org_id, site.id, "jira", "J", ACTOR)
    with pytest.raises(InvalidInput):
        products.create_product(db_session, tenant.org_id, site.id, "x", "X", ACTOR,
                                roles=["owner"])
    with pytest.raises(NotFound):
        products.create_product(db_session, "other-org", site.id, "y", "Y", ACTOR)
    for email in ("a@x.test", "b@x.test"):
        db_session.add(ProductGrant(org_id=tenant.org_id, product_id=jira.id,
                                    account_id=add_account(email).id, role="admin"))
    db_session.flush()
    with pytest.raises(Conflict):
        products.update_product(db_session, jira, {"seat_limit": 1}, ACTOR)
    with pytest.raises(Conflict):
        products.update_product(db_session, jira, {"roles": ["user"]}, ACTOR)
    products.update_product(db_session, jira, {"seat_limit": 2, "name": "Jira SW"}, ACTOR)
    assert (jira.seat_limit, jira.name) == (2, "Jira SW")
    assert products.get_product(db_session, tenant.org_id, jira.id, lock=True) is jira
