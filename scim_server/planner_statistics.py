"""Fresh planner statistics where nothing else keeps them (migrations, `scim-server worker`).

SQLite keeps none by itself: without them it prefers the index that yields the page order
over the selective lookup index, and a `userName eq` filter walks the whole directory. The
analysis limit bounds the cost on large databases.

PostgreSQL's autovacuum analyzes tables as they change, but servers run with it off (ours
in CI does), and then a first sync into empty tables slows with every user: the planner
still believes the tables empty (a Bulk of 1,000 creates went from 7.5 s to 68 s at 60,000
users, 4 s again after ANALYZE). So every table that changed by more than autovacuum's
own threshold (50 rows + 10 %) since its last analysis is analyzed, whatever autovacuum's
setting; where autovacuum runs, it has usually done so already and nothing is stale.
"""
from __future__ import annotations

from sqlalchemy import Connection

STALE_TABLES = (
    "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
    "WHERE s.schemaname = current_schema() "
    "AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0) ORDER BY s.relname")


def refresh(connection: Connection) -> tuple[str, ...]:
    """Analyze what needs it on this connection's database; returns the tables analyzed.

    Runs inside the caller's transaction; the caller commits. SQLite answers `("*",)`
    (it analyzes every table, bounded by the analysis limit).
    """
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.exec_driver_sql("ANALYZE")
        return ("*",)
    if dialect != "postgresql":
        return ()
    stale = [row[0] for row in connection.exec_driver_sql(STALE_TABLES)]
    if stale:
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")  # large tables take time
    for table in stale:
        connection.exec_driver_sql(f'ANALYZE "{table}"')
    return tuple(stale)
