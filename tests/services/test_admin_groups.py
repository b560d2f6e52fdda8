"""Admin-managed groups: create, rename, members, cycles; synced groups refuse changes."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, Group
from scim_server.services import admin_groups
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict, NotFound
from scim_server.services.org_accounts import ManagedByDirectory

ACTOR = Actor("admin_key", "k1")


def test_admin_group_lifecycle(db_session: Session, tenant: Tenant,
                               add_account: Callable[..., Account]) -> None:
    ann = add_account("ann@x.test")
    group = admin_groups.create_group(db_session, tenant.org_id, "Helpers", ACTOR)
    assert (group.source, group.directory_id) == ("admin", None)
    with pytest.raises(Conflict):
        admin_groups.create_group(db_session, tenant.org_id, "helpers", ACTOR)
    assert admin_groups.add_member(db_session, group, ann.id, "User", ACTOR)
    assert not admin_groups.add_member(db_session, group, ann.id, "User", ACTOR)
    assert admin_groups.count_members(db_session, [group.id]) == {group.id: 1}
    admin_groups.rename_group(db_session, group, "Crew", ACTOR)
    assert group.display_name_norm == "crew"
    assert admin_groups.remove_member(db_session, group, ann.id, ACTOR)
    assert not admin_groups.remove_member(db_session, group, ann.id, ACTOR)
    with pytest.raises(NotFound):
        admin_groups.add_member(db_session, group, "nobody", "User", ACTOR)
    admin_groups.delete_group(db_session, group, ACTOR)
    with pytest.raises(NotFound):
        admin_groups.get_group(db_session, tenant.org_id, group.id)


def test_nesting_refuses_cycles(db_session: Session, tenant: Tenant) -> None:
    a = admin_groups.create_group(db_session, tenant.org_id, "a", ACTOR)
    b = admin_groups.create_group(db_session, tenant.org_id, "b", ACTOR)
    c = admin_groups.create_group(db_session, tenant.org_id, "c", ACTOR)
    admin_groups.add_member(db_session, a, b.id, "Group", ACTOR)
    admin_groups.add_member(db_session, b, c.id, "Group", ACTOR)
    with pytest.raises(Conflict, match="cycle"):
        admin_groups.add_member(db_session, c, a.id, "Group", ACTOR)
    with pytest.raises(Conflict, match="cycle"):
        admin_groups.add_member(db_session, a, a.id, "Group", ACTOR)


def test_synced_groups_refuse_changes(db_session: Session, tenant: Tenant,
                                      add_group: Callable[..., Group],
                                      add_account: Callable[..., Account]) -> None:
    synced = add_group("Engineering")
    ann = add_account("ann@x.test")
    for change in (lambda: admin_groups.rename_group(db_session, synced, "Eng", ACTOR),
                   lambda: admin_groups.add_member(db_session, synced, ann.id, "User", ACTOR),
                   lambda: admin_groups.delete_group(db_session, synced, ACTOR)):
        with pytest.raises(ManagedByDirectory) as raised:
            change()
        assert raised.value.directory_id == tenant.directory_id
    assert {g.id for g in db_session.scalars(admin_groups.groups_query(
        tenant.org_id, source="synced"))} == {synced.id}
