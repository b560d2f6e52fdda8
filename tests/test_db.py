"""Engine behaviour: idle pings on pooled connections leave no transaction behind."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from scim_server import Config, create_app, db


def test_an_idle_ping_does_not_break_autocommit_readers(database_url, app, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip("pooled connection pings are PostgreSQL's")
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    other = create_app(Config.from_env(database_url=database_url, testing=True,
                                       rate_limit_enabled=False))
    try:
        for _ in range(3):  # check out, check in, ping on the next checkout
            session = db.new_session(other, writes=False)
            assert session.execute(text("SELECT 1")).scalar() == 1
            session.close()
    finally:
        other.extensions[db.EXTENSION_KEY][0].dispose()



def test_sqlite_writer_turn_spans_exactly_the_write_transaction(app, backend, database_url):
    """A writer holds the gate from its BEGIN IMMEDIATE to its COMMIT, and not after:
    another process's writer (here, a second gate on the same file) gets in only then."""
    if backend != "sqlite":
        pytest.skip("the writer gate is SQLite's")
    from scim_server.models import Organization
    from scim_server.sqlite_writer_gate import WriterGate

    other_process = WriterGate(database_url.split("///", 1)[1] + ".writer-lock", 0.2)
    session = db.new_session(app)
    session.add(Organization(name="Turns"))
    session.flush()  # BEGIN IMMEDIATE: the turn starts
    assert other_process.enter() is False, "a second writer got in during the transaction"
    session.commit()
    session.close()
    assert other_process.enter() is True, "the turn outlived the transaction"
    other_process.leave()
    reader = db.new_session(app, writes=False)
    reader.execute(text("SELECT 1"))
    assert other_process.enter() is True, "a reader takes no turn"
    other_process.leave()
    reader.close()


def test_sqlite_connections_are_renewed_so_they_plan_with_fresh_statistics(
        database_url, app, backend, monkeypatch):
    """SQLite loads planner statistics when a connection opens: a pooled connection kept
    from before an `ANALYZE` plans a grown directory as an empty one. The pool replaces
    connections as often as the statistics are refreshed, and the new one plans the
    `externalId` lookup by its index."""
    if backend != "sqlite":
        pytest.skip("SQLite's statistics are per connection")
    import time

    from sqlalchemy import create_engine

    from bench import seed
    from scim_server import migrate
    from scim_server.services import tenancy
    from scim_server.services.actors import Actor

    monkeypatch.setattr(db, "STATISTICS_INTERVAL_SECONDS", 0.5)
    served = create_app(Config.from_env(database_url=database_url, testing=False,
                                        rate_limit_enabled=False, smtp_url=None,
                                        redis_url=None))
    engine = served.extensions[db.EXTENSION_KEY][0]
    lookup = ("EXPLAIN QUERY PLAN SELECT id FROM directory_users WHERE directory_id = ? "
              "AND external_id = 'e7' ORDER BY created_at, id LIMIT 1")
    try:
        migrate.upgrade(engine)
        with served.app_context():
            session = db.new_session(served)
            org = tenancy.create_organization(session, "Acme", Actor.cli())
            directory = tenancy.create_directory(session, org, "Entra", "entra", Actor.cli())
            session.commit()
            org_id, directory_id = org.id, directory.id
            session.close()
        with engine.connect() as kept:  # a pooled connection, from before the import
            stale = " ".join(row[-1] for row in kept.exec_driver_sql(lookup, (directory_id,)))
        importer = create_engine(database_url)  # another process's connection
        seed.seed_users(importer, org_id, directory_id, 0, 5_000)  # imports ...
        with importer.begin() as connection:
            connection.exec_driver_sql("ANALYZE")  # ... and refreshes the statistics
        importer.dispose()
        time.sleep(0.6)
        with engine.connect() as renewed:
            fresh = " ".join(row[-1] for row in renewed.exec_driver_sql(lookup, (directory_id,)))
    finally:
        engine.dispose()
    assert "ix_directory_users_external_id" not in stale, stale
    assert "ix_directory_users_external_id" in fresh, fresh
