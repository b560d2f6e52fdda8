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
