"""sortBy / sortOrder (RFC 7644 §3.4.2.3) on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from scim_server.models import DirectoryUser, Group
from scim_server.scim.errors import InvalidValue
from scim_server.scim.filter_compare import code_point_order
from scim_server.scim.sorting import (
    group_sort_key, is_descending, order_by_clause, user_sort_key,
)
from .filter_world import ENTERPRISE, World


@pytest.fixture
def world(make_world: Any) -> World:
    w = make_world()
    w.user("bob", "bob", external_id="b", display_name="Bob", version=10,
           modified="2024-02-01T00:00:00Z", active=False,
           attributes={"name": {"givenName": "Robert"}, ENTERPRISE: {"department": "sales"}},
           values={"emails": [{"value": "m@x.com"}, {"value": "b@x.com"}]})
    w.user("alice", "Alice", external_id="A", display_name="alice", version=9,
           modified="2024-03-01T00:00:00Z",
           attributes={"name": {"givenName": "Alice"}, ENTERPRISE: {"department": "R&D"}},
           values={"emails": [{"value": "Z@x.com"}, {"value": "a@x.com", "primary": True}]})
    w.user("carol", "carol", external_id="a", modified="2024-01-01T00:00:00Z")
    w.user("zed", "Zed", display_name="Zed", modified="2024-01-02T00:00:00Z")
    w.user("emile", "Émile", modified="2024-01-03T00:00:00Z")
    return w


def ordered(world: World, sort_by: str, descending: bool = False) -> list[str]:
    key = user_sort_key(world.registry, sort_by)
    stmt = (select(DirectoryUser.id).where(DirectoryUser.directory_id == world.directory_id)
            .order_by(order_by_clause(key, descending),
                      code_point_order(DirectoryUser.user_name_norm)))
    by_id = {v: k for k, v in world.ids.items()}
    return [by_id[i] for i in world.session.scalars(stmt)]


def test_strings_sort_case_insensitively_by_code_point(world: World) -> None:
    assert ordered(world, "userName") == ["alice", "bob", "carol", "zed", "emile"]
    assert ordered(world, "userName", descending=True) == ["emile", "zed", "carol", "bob",
                                                           "alice"]
    assert ordered(world, "urn:ietf:params:scim:schemas:core:2.0:User:USERNAME")[0] == "alice"


def test_case_exact_strings_sort_by_exact_code_point(world: World) -> None:
    # "A" < "a" < "b"; users without externalId come last ascending, first descending.
    assert ordered(world, "externalId") == ["alice", "carol", "bob", "zed", "emile"]
    assert ordered(world, "externalId", descending=True) == ["zed", "emile", "bob", "carol",
                                                             "alice"]


def test_missing_values_last_ascending_first_descending(world: World) -> None:
    assert ordered(world, "displayName") == ["alice", "bob", "zed", "carol", "emile"]
    assert ordered(world, "displayName", descending=True) == ["carol", "emile", "zed", "bob",
                                                              "alice"]


def test_multi_valued_sorts_by_primary_else_first_value(world: World) -> None:
    assert ordered(world, "emails") == ["alice", "bob", "carol", "zed", "emile"]
    assert ordered(world, "emails.value", descending=True) == ["carol", "zed", "emile", "bob",
                                                               "alice"]


def test_json_typed_and_meta_attributes(world: World) -> None:
    assert ordered(world, "name.givenName")[:2] == ["alice", "bob"]
    assert ordered(world, f"{ENTERPRISE}:department")[:2] == ["alice", "bob"]
    assert ordered(world, "meta.lastModified") == ["carol", "zed", "emile", "bob", "alice"]
    assert ordered(world, "meta.version")[-2:] == ["alice", "bob"]  # 9 before 10
    assert ordered(world, "active")[0] == "bob"
    assert ordered(world, "meta.resourceType") == ["alice", "bob", "carol", "zed", "emile"]
    assert len(ordered(world, "meta.location")) == 5


def test_groups_sort_by_display_name(app: Flask, make_world: Any) -> None:
    world = make_world()
    for name in ("beta", "Alpha", "gamma"):
        world.group(name, name)
    key = group_sort_key(world.registry, "displayName")
    stmt = select(Group.display_name).where(Group.directory_id == world.directory_id)
    names = list(world.session.scalars(stmt.order_by(order_by_clause(key, True))))
    assert names == ["gamma", "beta", "Alpha"]


@pytest.mark.parametrize(("sort_by", "detail"), [
    ("nope", "'nope' is not an attribute"),
    ("name", "name is complex"),
    ("groups", "sorting by groups is not supported"),
    ("addresses", "name a sub-attribute"),
    ("password", "never returned"),
    ("", "sortBy is empty"),
])
def test_unsortable_attributes_are_invalid_value(app: Flask, sort_by: str, detail: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        user_sort_key(app.extensions["scim_server.schemas"], sort_by)
    assert raised.value.status == 400 and raised.value.scim_type == "invalidValue"
    assert detail in raised.value.detail


def test_group_members_cannot_be_sorted_by(app: Flask) -> None:
    with pytest.raises(InvalidValue, match="members"):
        group_sort_key(app.extensions["scim_server.schemas"], "members.value")


def test_sort_order_words() -> None:
    assert is_descending(None) is False
    assert is_descending("ascending") is False
    assert is_descending("Descending") is True
    with pytest.raises(InvalidValue, match="ascending or descending"):
        is_descending("up")
