"""Every PostgreSQL connection carries the production limits (issue 11, finding 6)."""
from __future__ import annotations

import time
from typing import Callable

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from scim_server import db, migrate
from scim_server.db_deadlines import Watchdog

from .conftest import BlackholeProxy


def test_connections_carry_timeouts_and_keepalives(
        backend: str, make_ops_app: Callable[..., Flask]) -> None:
    if backend != "postgresql":
        pytest.skip("libpq settings")
    app = make_ops_app(database_statement_timeout_seconds=7,
                       database_lock_timeout_seconds=3, database_connect_timeout_seconds=4,
                       database_keepalives_idle_seconds=11,
                       database_tcp_user_timeout_seconds=12)
    with app.app_context(), db.engine().connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "7s"
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "3s"
        parameters = connection.connection.dbapi_connection.info.get_parameters()
        assert parameters["connect_timeout"] == "4"
        assert parameters["keepalives"] == "1" and parameters["keepalives_idle"] == "11"
        assert parameters["tcp_user_timeout"] == "12000"


def test_migrations_run_without_the_statement_limit(
        backend: str, make_ops_app: Callable[..., Flask]) -> None:
    if backend != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    app = make_ops_app(database_statement_timeout_seconds=1)
    with app.app_context():
        migrate.upgrade(db.engine())  # already current: runs no revision, just the setup
        with db.engine().connect() as connection:
            with pytest.raises(OperationalError, match="statement timeout"):
                connection.execute(text("SELECT pg_sleep(2)"))


def test_the_watchdog_severs_a_call_past_its_deadline(
        backend: str, database_url: str, make_ops_app: Callable[..., Flask],
        blackhole_proxy: Callable[[int], BlackholeProxy]) -> None:
    if backend != "postgresql":
        pytest.skip("a networked database")
    url = make_url(database_url)
    proxy = blackhole_proxy(url.port or 5432)
    app = make_ops_app(database_url=url.set(host="127.0.0.1", port=proxy.port)
                       .render_as_string(hide_password=False),
                       database_statement_timeout_seconds=1, database_deadline_grace_seconds=0.5)
    with app.app_context(), db.engine().connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        proxy.blackhole()
        started = time.monotonic()
        with pytest.raises(OperationalError):
            connection.execute(text("SELECT 2"))
        assert time.monotonic() - started < 3.0
    proxy.restore()


def test_a_forked_child_gets_a_fresh_lock_and_starts_its_own_thread() -> None:
    watchdog = Watchdog()
    watchdog.arm(object(), 60)
    held = watchdog._start_lock
    held.acquire()  # as if the parent's thread held it at the fork
    watchdog.after_fork()
    assert watchdog._start_lock is not held and watchdog._start_lock.acquire(timeout=1)
    watchdog._start_lock.release()
    assert not watchdog._started and watchdog._armed == {}
    held.release()


class _Socketless:
    """A connection stand-in: `sever` finds no socket and leaves it alone."""

    def fileno(self) -> int:
        raise OSError("closed")


def test_only_a_call_that_outlived_its_deadline_is_severed() -> None:
    watchdog = Watchdog()
    slow, quick = _Socketless(), _Socketless()
    watchdog.arm(slow, 0.05)
    armed = watchdog.arm(quick, 0.05)
    watchdog.disarm(armed)  # the quick call returned in time
    deadline = time.monotonic() + 2
    while watchdog.severed == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watchdog.severed == 1 and watchdog._armed == {}


def test_a_connection_armed_again_is_not_severed_for_its_earlier_call() -> None:
    watchdog = Watchdog()
    connection = _Socketless()
    first = watchdog.arm(connection, 60)
    watchdog.disarm(first)
    second = watchdog.arm(connection, 60)
    watchdog.disarm(first)  # a late disarm of the earlier call leaves the new one armed
    assert watchdog._armed[id(connection)] is second[1]
