"""PostgreSQL connections that fail fast when the database goes silent, and recover alone.

A network partition that drops packets without a reset, or a proxy or pooler in between
that stops forwarding, leaves a request waiting on a socket forever: PostgreSQL's own
`statement_timeout` cannot help, because its cancellation never arrives. So:

- libpq settings bound what the kernel can see: `connect_timeout` for new connections,
  TCP keepalives (`keepalives_idle/interval/count`) for an idle wait on a dead peer, and
  `tcp_user_timeout` for data sent and never acknowledged.
- `statement_timeout` (and optionally `lock_timeout`) travel in the startup `options`, so
  the server ends a slow statement itself and the connection stays usable.
- A client-side deadline covers what neither sees (a peer whose kernel still answers but
  whose process forwards nothing): every statement, commit and rollback is given
  `statement_timeout + grace`; past it, a watchdog thread shuts the socket down. The
  blocked call then fails like a lost connection, SQLAlchemy discards that connection,
  the request answers 503, and the next checkout opens a fresh one. A healthy statement
  never reaches the deadline: the server cancels it at `statement_timeout` first.

Statements run with the `scim_no_deadline` execution option (migrations) are exempt.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from sqlalchemy import Engine

NO_DEADLINE = "scim_no_deadline"
TICK_SECONDS = 0.1


def libpq_arguments(config: Any) -> dict[str, Any]:
    """`connect_args` for psycopg: timeouts, keepalives and server-side limits."""
    options = [f"-c statement_timeout={int(config.database_statement_timeout_seconds * 1000)}"]
    if config.database_lock_timeout_seconds > 0:
        options.append(f"-c lock_timeout={int(config.database_lock_timeout_seconds * 1000)}")
    return {
        "connect_timeout": max(int(config.database_connect_timeout_seconds), 1),
        "keepalives": 1,
        "keepalives_idle": config.database_keepalives_idle_seconds,
        "keepalives_interval": config.database_keepalives_interval_seconds,
        "keepalives_count": config.database_keepalives_count,
        "tcp_user_timeout": int(config.database_tcp_user_timeout_seconds * 1000),
        "options": " ".join(options),
    }


class Watchdog:
    """Severs connections whose call outlived its deadline; one thread per process.

    Arming and disarming run around every statement, so they take no lock and make no
    system call: a dict store and a pop, each atomic in CPython. The watcher severs a
    connection only if the arming it found expired is still the one in place.
    """

    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, Any]] = {}
        self._started = False  # the thread does not survive a fork (gunicorn workers)
        self._start_lock = threading.Lock()
        self.severed = 0

    def arm(self, dbapi_connection: Any, seconds: float) -> tuple[int, tuple[float, Any]]:
        """Sever `dbapi_connection` if it is still armed `seconds` from now."""
        if not self._started:
            self._start()
        arming = (time.monotonic() + seconds, dbapi_connection)
        key = id(dbapi_connection)
        self._armed[key] = arming
        return key, arming

    def disarm(self, armed: tuple[int, tuple[float, Any]]) -> None:
        key, arming = armed
        if self._armed.get(key) is arming:
            self._armed.pop(key, None)

    @contextmanager
    def deadline(self, dbapi_connection: Any, seconds: float) -> Iterator[None]:
        """Run the body with `dbapi_connection` severed if it lasts over `seconds`."""
        armed = self.arm(dbapi_connection, seconds)
        try:
            yield
        finally:
            self.disarm(armed)

    def _start(self) -> None:
        with self._start_lock:
            if not self._started:
                threading.Thread(target=self._watch, name="scim-db-deadlines",
                                 daemon=True).start()
                self._started = True

    def after_fork(self) -> None:
        """In a forked child (a gunicorn worker): no thread yet, and a lock that the
        parent's thread may have held at the fork, so a fresh one."""
        self._start_lock = threading.Lock()
        self._armed = {}
        self._started = False

    def _watch(self) -> None:
        while True:
            time.sleep(TICK_SECONDS)
            now = time.monotonic()
            for key, arming in list(self._armed.items()):
                if arming[0] < now and self._armed.get(key) is arming:
                    self._armed.pop(key, None)
                    self.severed += 1
                    sever(arming[1])


def sever(dbapi_connection: Any) -> None:
    """Shut the connection's socket down under libpq: its blocked call fails at once."""
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - already closed: nothing left to cut
        return
    try:
        duplicate = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        duplicate.shutdown(socket.SHUT_RDWR)  # a shutdown acts on the socket, not the fd
    except OSError:
        pass
    finally:
        duplicate.close()


WATCHDOG = Watchdog()
os.register_at_fork(after_in_child=WATCHDOG.after_fork)


def _connection_of(cursor: Any) -> Any:
    return getattr(cursor, "connection", None)


def install(engine: Engine, seconds: float) -> None:
    """Give every statement, commit and rollback of `engine` a deadline of `seconds`."""
    dialect = engine.dialect

    def guard_execute(method: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            context = kwargs.get("context", args[-1] if args else None)
            options = getattr(context, "execution_options", None) or {}
            connection = _connection_of(cursor)
            if options.get(NO_DEADLINE) or connection is None:
                return method(cursor, *args, **kwargs)
            armed = WATCHDOG.arm(connection, seconds)
            try:
                return method(cursor, *args, **kwargs)
            finally:
                WATCHDOG.disarm(armed)
        return guarded

    def guard_transaction(method: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(dbapi_connection: Any) -> Any:
            armed = WATCHDOG.arm(dbapi_connection, seconds)
            try:
                return method(dbapi_connection)
            finally:
                WATCHDOG.disarm(armed)
        return guarded

    for name in ("do_execute", "do_execute_no_params", "do_executemany"):
        setattr(dialect, name, guard_execute(getattr(dialect, name)))
    for name in ("do_commit", "do_rollback"):
        setattr(dialect, name, guard_transaction(getattr(dialect, name)))
