"""Sites: create, rename, unique names, tenant scoping."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.services import sites
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict, NotFound

ACTOR = Actor("admin_key", "k1")


def test_create_update_and_scope(db_session: Session, tenant: Tenant) -> None:
    site = sites.create_site(db_session, tenant.org_id, "Docs", None, ACTOR)
    with pytest.raises(Conflict):
        sites.create_site(db_session, tenant.org_id, "Docs", None, ACTOR)
    sites.update_site(db_session, site, {"url": "https://d.test"}, ACTOR)
    assert sites.get_site(db_session, tenant.org_id, site.id).url == "https://d.test"
    with pytest.raises(Conflict):
        sites.update_site(db_session, site, {"name": "Acme"}, ACTOR)
    with pytest.raises(NotFound):
        sites.get_site(db_session, "another-org", site.id)
    assert len(db_session.scalars(sites.sites_query(tenant.org_id)).all()) == 2
