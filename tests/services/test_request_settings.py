"""Request settings: defaults, partial updates that keep other keys, validation."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Organization
from scim_server.services.actors import Actor
from scim_server.services.errors import InvalidInput, NotFound
from scim_server.services.request_settings import DEFAULTS, org_settings, update_settings


def test_defaults_updates_and_refusals(db_session: Session, tenant: Tenant) -> None:
    assert org_settings(db_session, tenant.org_id) == DEFAULTS
    org = db_session.get_one(Organization, tenant.org_id)
    org.settings = {"theme": "dark"}
    db_session.flush()
    changed = update_settings(db_session, tenant.org_id, {"signup_any_domain": True},
                              Actor.cli())
    assert changed == {**DEFAULTS, "signup_any_domain": True}
    assert org.settings == {"theme": "dark", "signup_any_domain": True}
    with pytest.raises(InvalidInput, match="unknown settings: theme"):
        update_settings(db_session, tenant.org_id, {"theme": "light"}, Actor.cli())
    with pytest.raises(InvalidInput, match="notify_admins_on_requests"):
        update_settings(db_session, tenant.org_id, {"notify_admins_on_requests": "x"},
                        Actor.cli())
    with pytest.raises(NotFound):
        org_settings(db_session, "no-such-org")
