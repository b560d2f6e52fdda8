"""SCIM filters on typed extension attributes, and the query plans lookups get."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from scim_server.models import (
    DirectoryUser,
)
from scim_server.scim.errors import InvalidFilter
from scim_server.scim.filters import compile_user_filter
from scim_server.scim.schema_registry import SchemaRegistry

from .filter_world import SCHEMAS_DIR, TEST_EXT, World


@pytest.fixture
def typed_registry(tmp_path: Path) -> SchemaRegistry:
    """The shipped schemas plus an extension with every scalar type, for typed comparisons."""
    shutil.copytree(SCHEMAS_DIR, tmp_path / "schemas")
    attrs = [{"name": n, "type": t, "multiValued": False, "caseExact": c}
             for n, t, c in [("level", "integer", False), ("score", "decimal", False),
                             ("hiredAt", "dateTime", False), ("remote", "boolean", False),
                             ("badge", "string", True)]]
    (tmp_path / "schemas" / "TestExtension.json").write_text(json.dumps(
        {"id": TEST_EXT, "name": "Test", "attributes": attrs}))
    rtype_path = tmp_path / "schemas" / "resource-types" / "User.json"
    rtype = json.loads(rtype_path.read_text())
    rtype["schemaExtensions"].append({"schema": TEST_EXT, "required": False})
    rtype_path.write_text(json.dumps(rtype))
    return SchemaRegistry.load(tmp_path / "schemas")


def test_numbers_datetimes_booleans_and_case_exact_strings_in_json(
        make_world, typed_registry: SchemaRegistry) -> None:
    w = make_world(typed_registry)
    w.user("u1", "u1", attributes={TEST_EXT: {"level": 5, "score": 2.5, "remote": True,
                                              "hiredAt": "2024-01-01T10:00:00+02:00",
                                              "badge": "AbC"}})
    w.user("u2", "u2", attributes={TEST_EXT: {"level": 12, "score": -1.5, "remote": False,
                                              "hiredAt": "2023-06-01T00:00:00Z",
                                              "badge": "abc"}})
    w.user("u3", "u3")
    x = TEST_EXT
    cases = [
        (f"{x}:level gt 9", {"u2"}), (f"{x}:level eq 5", {"u1"}),
        (f"{x}:level le 12", {"u1", "u2"}),
        (f"{x}:level ne 5", {"u2", "u3"}), (f"{x}:score lt 0", {"u2"}),
        (f"{x}:score ge 2.5", {"u1"}), (f"{x}:score gt -2", {"u1", "u2"}),
        (f'{x}:hiredAt lt "2024-01-01T09:00:00Z"', {"u1", "u2"}),
        (f'{x}:hiredAt eq "2024-01-01T08:00:00Z"', {"u1"}),
        (f'{x}:hiredAt gt "2023-06-01T00:00:00Z"', {"u1"}),
        (f"{x}:remote eq true", {"u1"}), (f"{x}:remote ne true", {"u2", "u3"}),
        (f'{x}:badge eq "abc"', {"u2"}), (f'{x}:badge co "bC"', {"u1"}),
        (f'{x}:badge co "B"', set()), (f'{x}:badge co "b"', {"u1", "u2"}),
        (f'{x}:badge sw "ab"', {"u2"}), (f'{x}:badge ew "C"', {"u1"}),
        (f"{x}:level pr", {"u1", "u2"}),
    ]
    wrong = [(f, w.users(f), e) for f, e in cases if w.users(f) != e]
    assert not wrong, wrong
    for bad in (f"{x}:level co 1", f'{x}:level eq "5"', f"{x}:hiredAt gt 5",
                f"{x}:remote gt false"):
        with pytest.raises(InvalidFilter):
            compile_user_filter(typed_registry, bad)


def _plan(session: Session, backend: str, stmt: Any) -> str:
    sql = str(stmt.compile(dialect=session.get_bind().dialect,
                           compile_kwargs={"literal_binds": True}))
    if backend == "sqlite":
        rows = session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(str(row[-1]) for row in rows)
    session.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in session.execute(text("EXPLAIN " + sql)))


@pytest.mark.parametrize(("filter_text", "sqlite_index", "postgres_index"), [
    ('userName eq "bob"', "user_name_norm=?", "uq_directory_users_directory_id"),
    ('externalId eq "ext-1"', "ix_directory_users_external_id", "ix_directory_users_external_id"),
    ('emails[value eq "Bob@X.com"]', "ix_directory_user_values_lookup",
     "ix_directory_user_values_lookup"),
    ('emails.value eq "bob@x.com"', "ix_directory_user_values_lookup",
     "ix_directory_user_values_lookup"),
])
def test_lookups_use_an_index(world: World, backend: str, filter_text: str, sqlite_index: str,
                              postgres_index: str) -> None:
    world.filler(300)
    if backend == "sqlite":  # statistics of this data, not of what earlier tests left behind
        world.session.execute(text("ANALYZE"))
    stmt = select(DirectoryUser.id).where(
        DirectoryUser.directory_id == world.directory_id,
        compile_user_filter(world.registry, filter_text, directory_id=world.directory_id))
    plan = _plan(world.session, backend, stmt)
    assert (sqlite_index if backend == "sqlite" else postgres_index) in plan, plan
    assert "SCAN directory_user" not in plan and "Seq Scan" not in plan, plan
    assert world.names(world.session.scalars(stmt)) == {"bob"}


def test_correlated_form_probes_values_by_index(world: World, backend: str) -> None:
    world.filler(300)
    stmt = select(DirectoryUser.id).where(
        DirectoryUser.directory_id == world.directory_id,
        compile_user_filter(world.registry, 'emails[value eq "bob@x.com"]'))
    plan = _plan(world.session, backend, stmt)
    assert "ix_directory_user_values_" in plan, plan
    assert "SCAN directory_user_values" not in plan and "Seq Scan" not in plan, plan
