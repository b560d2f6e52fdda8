"""Apply and inspect Alembic migrations from the application (serve, CLI, readiness).

Upgrades are rolling: version N+1 migrates the shared database while version N keeps
serving, so migrations follow expand/contract (docs/operations.md, "Upgrades") and a
database *ahead* of this code is normal, not an error. Only a database *behind* this code
makes an instance unready. The history is linear; a revision this code does not know is a
newer one.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from . import planner_statistics
from .db_deadlines import NO_DEADLINE
from .resources import data_dir

MIGRATIONS_DIR = data_dir("migrations")


class SchemaState(enum.Enum):
    """Where the database stands relative to the migrations this code carries."""

    CURRENT = "current"  # exactly this code's head
    AHEAD = "ahead"      # a newer version migrated it (expand/contract keeps us working)
    BEHIND = "behind"    # this code needs migrations that were not applied


@dataclass(frozen=True)
class UpgradeReport:
    """What `upgrade` did: the revisions it applied, oldest first."""

    applied: tuple[str, ...]
    state: SchemaState


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _unbounded(connection: Connection) -> Connection:
    """A migration may rewrite a large table: no statement limit, no client deadline."""
    if connection.dialect.name != "postgresql":
        return connection
    connection = connection.execution_options(**{NO_DEADLINE: True})
    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    return connection


def _applied_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def _state(script: ScriptDirectory, applied: set[str]) -> SchemaState:
    known = {revision.revision for revision in script.walk_revisions()}
    if applied - known:
        return SchemaState.AHEAD
    reached: set[str] = set()
    for head in applied:
        reached.update(rev.revision for rev in script.iterate_revisions(head, "base"))
    if not set(script.get_heads()) <= reached:
        return SchemaState.BEHIND
    return SchemaState.CURRENT


def schema_state(engine: Engine) -> SchemaState:
    """Current, ahead or behind: what readiness and `db upgrade` decide on."""
    with engine.connect() as connection:
        return _state(_script(), _applied_heads(connection))


def upgrade(engine: Engine) -> UpgradeReport:
    """Bring the database to this code's head; a database already ahead is left alone."""
    script = _script()
    with engine.begin() as connection:
        connection = _unbounded(connection)
        before = _applied_heads(connection)
        if _state(script, before) is SchemaState.AHEAD:
            return UpgradeReport((), SchemaState.AHEAD)
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
        after = _applied_heads(connection)
    applied: list[str] = []
    for head in after:
        for revision in script.iterate_revisions(head, "base"):
            if revision.revision in applied:
                continue
            if any(revision.revision == old or _descends(script, old, revision.revision)
                   for old in before):
                continue
            applied.append(revision.revision)
    refresh_statistics(engine)
    return UpgradeReport(tuple(reversed(applied)), SchemaState.CURRENT)


def _descends(script: ScriptDirectory, newer: str, older: str) -> bool:
    """True when `older` is an ancestor of `newer` (already applied before this upgrade)."""
    return any(rev.revision == older for rev in script.iterate_revisions(newer, "base"))


def downgrade(engine: Engine, target: str = "-1") -> tuple[str, ...]:
    """Undo migrations down to `target` (default: the last one); returns what was undone."""
    script = _script()
    with engine.begin() as connection:
        connection = _unbounded(connection)
        before = _applied_heads(connection)
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, target)
        after = _applied_heads(connection)
    undone: list[str] = []
    for head in before:
        for revision in script.iterate_revisions(head, "base"):
            if revision.revision in undone or any(
                    revision.revision == kept or _descends(script, kept, revision.revision)
                    for kept in after):
                continue
            undone.append(revision.revision)
    return tuple(undone)


def refresh_statistics(engine: Engine) -> tuple[str, ...]:
    """Planner statistics after migrations (scim_server/planner_statistics.py says why)."""
    with engine.begin() as connection:
        return planner_statistics.refresh(_unbounded(connection))


def is_current(engine: Engine) -> bool:
    """True when this code can serve the database: current or ahead, never behind."""
    return schema_state(engine) is not SchemaState.BEHIND
