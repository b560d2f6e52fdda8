"""Apply and inspect Alembic migrations from the application (serve, CLI, readiness)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from .config import PROJECT_ROOT
from .db_deadlines import NO_DEADLINE

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database to every head (feature branches of the history included)."""
    cfg = alembic_config()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # A migration may rewrite a large table: no statement limit, no client deadline.
            connection = connection.execution_options(**{NO_DEADLINE: True})
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    refresh_statistics(engine)


def refresh_statistics(engine: Engine) -> None:
    """Give SQLite's planner row statistics, as PostgreSQL's autovacuum does by itself.

    Without them SQLite prefers the index that yields the page order over the selective
    lookup index, and a `userName eq` filter walks the whole directory. The analysis
    limit bounds the cost on large databases.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def is_current(engine: Engine) -> bool:
    """True when the database carries exactly the heads this code expects."""
    expected = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    return applied == expected
