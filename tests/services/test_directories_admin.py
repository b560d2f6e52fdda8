"""Directories for admins: create, tokens issued and revoked, tolerances."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import ToleranceCounter
from scim_server.services import directories_admin, tenancy
from scim_server.services.actors import Actor
from scim_server.services.errors import InvalidInput, NotFound

ACTOR = Actor("admin_key", "k1")


def test_directories_tokens_and_tolerances(db_session: Session,
                                           make_tenant: Callable[..., Tenant]) -> None:
    tenant, other = make_tenant("Mine"), make_tenant("Other")
    directory = directories_admin.create_directory(db_session, tenant.org_id, "Entra", "entra",
                                                   ACTOR)
    with pytest.raises(InvalidInput):
        directories_admin.create_directory(db_session, tenant.org_id, "X", "ldap", ACTOR)
    with pytest.raises(NotFound):
        directories_admin.get_directory(db_session, tenant.org_id, other.directory_id)
    issued = directories_admin.issue_token(db_session, directory, ACTOR, expires_in_days=5)
    assert tenancy.find_usable_token(db_session, issued.secret) is issued.token
    assert directories_admin.revoke_token(db_session, directory, issued.token.id, ACTOR)
    assert not directories_admin.revoke_token(db_session, directory, issued.token.id, ACTOR)
    assert tenancy.find_usable_token(db_session, issued.secret) is None
    with pytest.raises(NotFound):
        directories_admin.revoke_token(db_session, directory, "other-token", ACTOR)
    db_session.add(ToleranceCounter(directory_id=directory.id, name="okta_patch_add", count=2))
    db_session.flush()
    rows = db_session.scalars(directories_admin.tolerances_query(directory.id)).all()
    assert [(r.name, r.count) for r in rows] == [("okta_patch_add", 2)]
