"""Multi-valued attribute scopes: what SQL each produces (RFC 7644 §3.4.2.2 "same value")."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import true
from sqlalchemy.dialects import postgresql, sqlite

from scim_server.scim.errors import InvalidFilter
from scim_server.scim.filter_scopes import GroupClosure, MemberRows, ValueRows
from scim_server.scim.schema_registry import CORE_GROUP, CORE_USER, SchemaRegistry

REGISTRY = SchemaRegistry.load(Path(__file__).resolve().parents[2] / "schemas")
EMAILS = REGISTRY.schemas[CORE_USER].attribute("emails")
GROUPS = REGISTRY.schemas[CORE_USER].attribute("groups")
MEMBERS = REGISTRY.schemas[CORE_GROUP].attribute("members")


def sql(expr: Any, dialect: Any = None) -> str:
    words = str(expr.compile(dialect=dialect or sqlite.dialect(),
                             compile_kwargs={"literal_binds": True})).split()
    return " ".join(words)


def test_value_rows_correlate_per_user_without_a_directory() -> None:
    scope = ValueRows(EMAILS, None)
    rendered = sql(scope.wrap(true()))
    assert rendered.startswith("EXISTS")
    assert "user_id = directory_users.id" in rendered
    assert "directory_id = directory_users.directory_id" in rendered


def test_value_rows_start_from_the_lookup_index_with_a_directory() -> None:
    scope = ValueRows(EMAILS, "dir-1")
    rendered = sql(scope.wrap(true()))
    assert rendered.startswith("directory_users.id IN (SELECT")
    assert "directory_id = 'dir-1'" in rendered and "attribute = 'emails'" in rendered


def test_value_rows_first_value_prefers_primary_then_position() -> None:
    scope = ValueRows(EMAILS, None)
    rendered = sql(scope.first_value(scope.row.value_norm))
    assert "ORDER BY directory_user_values_1.\"primary\" DESC, directory_user_values_1.position"\
        in rendered
    assert "LIMIT 1" in rendered


def test_value_rows_operands_follow_case_rules() -> None:
    scope = ValueRows(EMAILS, None)
    value = scope.operand(EMAILS.sub("value"))
    assert value.fold and value.norm_length == 400 and value.raw is not None
    assert scope.operand(EMAILS.sub("type")).fold


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()])
def test_group_closure_is_a_recursive_walk_down_from_the_matching_groups(dialect: Any) -> None:
    rendered = sql(GroupClosure(GROUPS, None).wrap(true()), dialect)
    assert "WITH RECURSIVE" in rendered and " UNION " in rendered and "UNION ALL" not in rendered
    assert rendered.startswith("(directory_users.id, directory_users.directory_id) IN")
    scoped = sql(GroupClosure(GROUPS, "dir-1").wrap(true()), dialect)
    assert scoped.startswith("directory_users.id IN") and "directory_id = 'dir-1'" in scoped


def test_group_closure_supports_value_and_display_only() -> None:
    closure = GroupClosure(GROUPS, None)
    assert closure.operand(GROUPS.sub("value")).fold
    assert closure.operand(GROUPS.sub("display")).norm_length == 400
    with pytest.raises(InvalidFilter, match="groups.type cannot be filtered"):
        closure.operand(GROUPS.sub("type"))


def test_member_rows_look_up_by_member_first() -> None:
    rows = MemberRows(MEMBERS)
    rendered = sql(rows.wrap(rows.operand(MEMBERS.sub("value")).expr == "u1"))
    assert rendered == ("groups.id IN (SELECT group_members_1.group_id FROM group_members AS "
                        "group_members_1 WHERE group_members_1.member_id = 'u1')")
    with pytest.raises(InvalidFilter, match="members.display"):
        rows.operand(MEMBERS.sub("display"))
