"""Which IntegrityErrors are unique violations, from real failures on each backend."""
from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Group, GroupMember
from scim_server.services.db_errors import is_unique_violation


def _failure(db_session: Session, statement) -> IntegrityError:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError) as caught:
        with db_session.begin_nested():
            db_session.execute(statement)
    return caught.value


def test_unique_and_primary_key_violations_are_unique(db_session: Session,
                                                      tenant: Tenant) -> None:
    group = Group(org_id=tenant.org_id, directory_id=tenant.directory_id, display_name="G",
                  display_name_norm="g", attributes={})
    db_session.add(group)
    db_session.flush()
    row = {"group_id": group.id, "member_id": "m1", "member_type": "User"}
    db_session.execute(insert(GroupMember).values(row))
    assert is_unique_violation(_failure(db_session, insert(GroupMember).values(row)))
    twin = {"org_id": tenant.org_id, "directory_id": tenant.directory_id, "display_name": "G",
            "display_name_norm": "g", "attributes": {}, "id": "twin"}
    assert is_unique_violation(_failure(db_session, insert(Group).values(twin)))


def test_foreign_key_and_not_null_violations_are_not(db_session: Session,
                                                     tenant: Tenant) -> None:
    orphan = {"group_id": "no-such-group", "member_id": "m1", "member_type": "User"}
    assert not is_unique_violation(_failure(db_session, insert(GroupMember).values(orphan)))
    nameless = {"id": "nameless", "org_id": tenant.org_id, "display_name": None,
                "display_name_norm": "x", "attributes": {}}
    assert not is_unique_violation(_failure(db_session, insert(Group).values(nameless)))
