"""Migrations applied from the application, and planner statistics after them."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from scim_server import db, migrate
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
