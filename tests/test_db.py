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
