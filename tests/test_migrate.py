"""Migrations applied from the application, and planner statistics after them."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from scim_server import Config, db, migrate
from scim_server.models import DirectoryUser
from scim_server.services import directory_users, tenancy
from scim_server.services.actors import Actor
from scim_server.services.directory_users import UserData


def test_database_is_at_every_head(app):
    assert migrate.is_current(app.extensions[db.EXTENSION_KEY][0])


def test_upgrade_is_idempotent(app):
    engine = app.extensions[db.EXTENSION_KEY][0]
    migrate.upgrade(engine)
    assert migrate.is_current(engine)


def test_sqlite_lookups_use_the_selective_index_once_analyzed(app, db_session, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL keeps its own statistics (autovacuum)")
    org = tenancy.create_organization(db_session, "Acme", Actor.cli())
    directory = tenancy.create_directory(db_session, org, "D", "generic", Actor.cli())
    for number in range(300):
        directory_users.create_user(db_session, directory, UserData(
            user_name=f"u{number}", attributes={"userName": f"u{number}"},
            external_id=f"e{number}"), Actor.cli())
    db_session.commit()
    engine = app.extensions[db.EXTENSION_KEY][0]
    migrate.refresh_statistics(engine)
    query = (select(DirectoryUser.id)
             .where(DirectoryUser.directory_id == directory.id, DirectoryUser.external_id == "e7")
             .order_by(DirectoryUser.created_at, DirectoryUser.id).limit(100))
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        plan = " ".join(str(row) for row in rows)
    assert "ix_directory_users_external_id" in plan, plan


def test_sqlite_statistics_are_refreshed_while_serving(app, backend, scim, monkeypatch):
    if backend != "sqlite":
        pytest.skip("PostgreSQL keeps its own statistics (autovacuum)")
    engine = app.extensions[db.EXTENSION_KEY][0]
    monkeypatch.setattr(db, "_statistics_refreshed_at", {})
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM sqlite_stat1"))
    for number in range(3):
        scim.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                  "userName": f"u{number}"})
    with engine.connect() as connection:
        analyzed = {row[0] for row in connection.execute(text("SELECT tbl FROM sqlite_stat1"))}
    assert "directory_users" in analyzed


# Rolling upgrades (issue 17, finding 2): a database ahead of this code is ready; one behind
# is not; `upgrade` says what it applied; the last migration can be undone.

EXPAND_MIGRATION = '''"""A newer version's expand step: a nullable column old code never reads."""
from alembic import op
import sqlalchemy as sa

revision = "zz_newer_expand"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("organizations", sa.Column("newer_setting", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("newer_setting")
'''


def _newer_version_migrations(tmp_path: Path) -> Path:
    """This code's migrations plus one expand step only a newer version knows."""
    newer = tmp_path / "newer-migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, newer,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (head,) = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    (newer / "versions" / "zz_newer_expand.py").write_text(EXPAND_MIGRATION.format(head=head))
    return newer


def test_the_history_is_linear():
    """One head: `db downgrade` (-1) and the rolling-upgrade rule assume a straight line."""
    assert len(ScriptDirectory.from_config(migrate.alembic_config()).get_heads()) == 1


def test_a_database_ahead_of_this_code_stays_ready(app, client, monkeypatch, tmp_path):
    engine = app.extensions[db.EXTENSION_KEY][0]
    newer = _newer_version_migrations(tmp_path)
    ours = migrate.MIGRATIONS_DIR
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", newer)
    assert migrate.upgrade(engine).applied == ("zz_newer_expand",)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", ours)
    try:
        assert migrate.schema_state(engine) is migrate.SchemaState.AHEAD
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        assert ready.get_json()["schema"] == "ahead"
        report = migrate.upgrade(engine)  # an older `serve` starting must not fail
        assert report.applied == () and report.state is migrate.SchemaState.AHEAD
    finally:
        monkeypatch.setattr(migrate, "MIGRATIONS_DIR", newer)
        assert migrate.downgrade(engine) == ("zz_newer_expand",)
        monkeypatch.setattr(migrate, "MIGRATIONS_DIR", ours)
    assert migrate.schema_state(engine) is migrate.SchemaState.CURRENT


def test_a_database_behind_this_code_is_not_ready_until_upgraded(app, client):
    engine = app.extensions[db.EXTENSION_KEY][0]
    (head,) = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    try:
        assert migrate.downgrade(engine) == (head,)
        assert migrate.schema_state(engine) is migrate.SchemaState.BEHIND
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json()["database"] == "migrations pending"
    finally:
        assert migrate.upgrade(engine).applied == (head,)
    assert client.get("/readyz").status_code == 200


def test_every_migration_downgrades_and_upgrades_again(empty_database_url):
    engine = db.build_engine(Config.from_env(database_url=empty_database_url))
    try:
        revisions = [r.revision for r in
                     ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()]
        assert migrate.upgrade(engine).applied == tuple(reversed(revisions))
        assert set(migrate.downgrade(engine, "base")) == set(revisions)
        assert inspect(engine).get_table_names() in ([], ["alembic_version"])
        assert migrate.upgrade(engine).applied == tuple(reversed(revisions))
        assert migrate.upgrade(engine).applied == ()
    finally:
        engine.dispose()


def test_postgresql_tables_that_grew_are_analyzed(app, db_session, backend):
    """With autovacuum off nothing else analyzes them (a first sync slowed 9× without it)."""
    if backend != "postgresql":
        pytest.skip("SQLite is analyzed as a whole (test above)")
    engine = app.extensions[db.EXTENSION_KEY][0]
    migrate.refresh_statistics(engine)
    org = tenancy.create_organization(db_session, "Acme", Actor.cli())
    directory = tenancy.create_directory(db_session, org, "D", "generic", Actor.cli())
    for number in range(120):
        directory_users.create_user(db_session, directory, UserData(
            user_name=f"u{number}", attributes={"userName": f"u{number}"}), Actor.cli())
    db_session.commit()
    deadline = time.monotonic() + 10  # backends publish their counters about once a second
    analyzed = migrate.refresh_statistics(engine)
    while "directory_users" not in analyzed and time.monotonic() < deadline:
        time.sleep(0.25)
        analyzed = migrate.refresh_statistics(engine)
    assert "directory_users" in analyzed and "organizations" not in analyzed
    with engine.connect() as connection:
        estimate = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'directory_users'").scalar_one()
    assert estimate == 120
    assert "directory_users" not in migrate.refresh_statistics(engine)  # nothing changed since
