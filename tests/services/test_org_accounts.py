"""Account search and the profile rules for synced and admin-managed accounts."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, Group
from scim_server.services import org_accounts
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict, NotFound
from scim_server.services.org_accounts import AccountFilters, ManagedByDirectory

ACTOR = Actor("admin_key", "k1")


def test_search_filters(db_session: Session, tenant: Tenant,
                        add_account: Callable[..., Account]) -> None:
    ann = add_account("ann@x.test", display_name="Ann_Lee")
    add_account("anne@x.test", display_name="AnnXLee", status="deactivated")

    def ids(**filters: object) -> set[str]:
        query = AccountFilters(**filters)  # type: ignore[arg-type]
        stmt = org_accounts.accounts_query(tenant.org_id, query)
        return {a.id for a in db_session.scalars(stmt)}

    assert ids(q="ann_") == {ann.id}  # `_` is a literal, not a wildcard
    assert ids(status="active") == {ann.id}
    assert ids(q="X.TEST") == ids() and len(ids()) == 2


def test_profile_rules(db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
                       add_group: Callable[..., Group]) -> None:
    ivy = add_account("ivy@x.test")
    add_account("taken@x.test")
    sam = add_account("sam@x.test", source="synced", directory_id=tenant.directory_id)
    org_accounts.update_profile(db_session, ivy, {"email": "Ivy@Y.test"}, ACTOR)
    assert (ivy.email, ivy.email_norm, ivy.email_verified) == ("Ivy@Y.test", "ivy@y.test", False)
    with pytest.raises(Conflict):
        org_accounts.update_profile(db_session, ivy, {"email": "TAKEN@x.test"}, ACTOR)
    with pytest.raises(ManagedByDirectory, match="Acme directory"):
        org_accounts.update_profile(db_session, sam, {"display_name": "S"}, ACTOR)
    assert org_accounts.update_profile(db_session, sam, {"email": "sam@x.test"}, ACTOR) is sam
    group = add_group("Team", users=(sam.id,))
    assert org_accounts.direct_groups(db_session, [sam.id, ivy.id]) == {sam.id: [group],
                                                                        ivy.id: []}
    with pytest.raises(NotFound):
        org_accounts.get_account(db_session, "another-org", ivy.id)
