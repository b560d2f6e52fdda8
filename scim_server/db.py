"""Engine and per-request session; the request, not the services, owns the transaction."""
from __future__ import annotations

import time
from contextlib import contextmanager, nullcontext
from typing import Any, Iterator

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as exc_module
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from . import db_deadlines
from . import casefold
from .config import Config
from .sqlite_writer_gate import WriterGate

EXTENSION_KEY = "scim_server.db"
LOOKUPS_KEY = "scim_server.db.lookups"


def build_engine(config: Config) -> Engine:
    """Create the engine for the configured URL, tuned per backend."""
    url = config.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kwargs: dict[str, Any] = {"echo": config.database_echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            raise ValueError("use a SQLite file, not :memory:, so workers share one database")
        if config.testing:
            kwargs["poolclass"] = NullPool  # tests drop and recreate the file between runs
        else:
            # SQLite reads planner statistics when a connection opens, and only a write
            # (`ANALYZE sqlite_schema`) reloads them: a connection kept from before an
            # import plans a million-user directory with the statistics of an empty one
            # (an `externalId` lookup scanned the directory, 1.4 s at 1M users). Pooled
            # connections are replaced as often as the statistics are refreshed.
            kwargs["pool_recycle"] = STATISTICS_INTERVAL_SECONDS
    else:
        kwargs.update(pool_size=config.database_pool_size, max_overflow=config.database_max_overflow,
                      pool_recycle=1800, pool_timeout=config.database_pool_timeout_seconds)
        if url.startswith("postgresql"):
            kwargs["connect_args"] = db_deadlines.libpq_arguments(config)
    engine = create_engine(url, **kwargs)
    deadline: float | None = None
    if engine.dialect.name == "postgresql" and config.database_statement_timeout_seconds > 0:
        deadline = (config.database_statement_timeout_seconds
                    + config.database_deadline_grace_seconds)
        db_deadlines.install(engine, deadline)
    if engine.dialect.name != "sqlite":
        event.listen(engine, "checkout", _idle_ping(deadline))
        event.listen(engine, "checkin", _note_checkin)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        _install_writer_gate(engine)
    return engine


IDLE_PING_SECONDS = 10.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _idle_ping(deadline: float | None) -> Any:
    """A checkout listener that checks a pooled connection only when it sat idle.

    A ping on every checkout (`pool_pre_ping`) costs a round trip per request; a connection
    returned moments ago is almost surely alive, and if it is not, the error invalidates
    the pool and the next request reconnects. The ping has the statements' deadline.
    """

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            with (db_deadlines.WATCHDOG.deadline(dbapi_connection, deadline) if deadline
                  else nullcontext()):
                cursor = dbapi_connection.cursor()
                cursor.execute("SELECT 1")
                cursor.close()
                dbapi_connection.rollback()  # the ping opened a transaction; leave none
        except Exception as exc:  # noqa: BLE001 - any failure means the connection is gone
            raise exc_module.DisconnectionError(str(exc)) from exc

    return ping_if_idle


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside a writer; foreign keys are off in SQLite by default."""
    dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    # 8 MB a connection: the operating system's page cache, shared by every process and
    # not counted in a worker's memory, holds the database (16 MB took a worker walking
    # a 1M-user directory to 223 MB, docs/benchmarks.md).
    cursor.execute("PRAGMA cache_size=-8192")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # LIKE is then case-sensitive, as on PostgreSQL; case-insensitive matches lower() both sides.
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()
    # Case-insensitive filters fold text as PostgreSQL's lower() does, non-ASCII included.
    dbapi_connection.create_function(casefold.SQLITE_FUNCTION, 1, casefold.sqlite_fold,
                                     deterministic=True)


SQLITE_BUSY_SECONDS = 30
_GATE_TURNS = "scim_server.writer_gate_turns"


def _install_writer_gate(engine: Engine) -> None:
    """Writers take SQLite's lock at BEGIN, after their turn at the writer gate.

    `BEGIN IMMEDIATE` makes two writers queue instead of deadlocking when both would
    upgrade from reading; the gate (sqlite_writer_gate.py) makes the queue wake at once.
    A turn ends when the connection goes back to the pool, after its COMMIT or ROLLBACK
    (sessions return it at the end of every transaction).
    """
    gate = WriterGate(f"{engine.url.database}.writer-lock", SQLITE_BUSY_SECONDS)

    def begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(AUTOCOMMIT_OPTION, False):
            return  # each statement is its own transaction (readers, lookup sessions)
        if not options.get("scim_writes", False):
            connection.exec_driver_sql("BEGIN")
            return
        if gate.enter():
            info = connection.connection.record_info
            info[_GATE_TURNS] = info.get(_GATE_TURNS, 0) + 1
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    def end_turns(_dbapi_connection: Any, record: Any) -> None:
        for _ in range(record.record_info.pop(_GATE_TURNS, 0)):
            gate.leave()

    event.listen(engine, "begin", begin)
    event.listen(engine, "checkin", end_turns)


#: Execution option of a SQLite connection that reads in autocommit: no BEGIN is sent.
AUTOCOMMIT_OPTION = "scim_autocommit"


def autocommit(engine: Engine) -> Engine:
    """`engine` for reads that need no transaction: each statement is its own.

    A reader's BEGIN and ROLLBACK are statements (SQLite) or round trips (PostgreSQL) that
    buy nothing when the reads need not agree with each other; reads that must agree use a
    snapshot session (`new_session(snapshot=True)`). SQLite connections already run with
    the driver's own transaction handling off (`_sqlite_pragmas`), so not sending BEGIN is
    all autocommit takes there; PostgreSQL's driver gets its autocommit mode.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{AUTOCOMMIT_OPTION: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def init_app(app: Flask, config: Config) -> None:
    """Attach an engine and a session factory to the app."""
    engine = build_engine(config)
    readers = sessionmaker(bind=autocommit(engine), expire_on_commit=False)
    writers = sessionmaker(bind=engine.execution_options(scim_writes=True), expire_on_commit=False)
    lookups = sessionmaker(bind=autocommit(engine), expire_on_commit=False)
    app.extensions[EXTENSION_KEY] = (engine, readers, writers)
    app.extensions[LOOKUPS_KEY] = lookups
    app.teardown_request(_close_session)  # per request, even inside an outer app context
    if engine.dialect.name == "sqlite":
        app.teardown_request(_refresh_sqlite_statistics)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions[EXTENSION_KEY][0]


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def use_reader() -> None:
    """Declare the current request read-only before it first touches the database.

    A query sent as POST (`.search`, RFC 7644 §3.4.3) then reads as a reader: on SQLite
    it never takes or waits for the write lock.
    """
    if "db_session" not in g:  # once open, the request keeps the session it has
        g.db_read_only = True


def _request_writes() -> bool:
    return (has_request_context() and request.method in WRITE_METHODS
            and not g.get("db_read_only", False))


def session() -> Session:
    """The session of the current request, opened on first use.

    Requests that change data start their transaction as a writer, so on SQLite two
    writers queue on the lock rather than fail when one upgrades from reading; a request
    that declared itself read-only (`use_reader`) reads whatever its method.
    """
    if "db_session" not in g:
        _engine, readers, writers = current_app.extensions[EXTENSION_KEY]
        factory = writers if _request_writes() else readers
        g.db_session = factory()
    return g.db_session


@contextmanager
def lookup_session() -> Iterator[Session]:
    """A session for the reads that come before a request's work (authentication).

    A read-only request uses its own session. A writing request looks up in autocommit,
    so its write transaction (and on SQLite the write lock) starts at the first query of
    the write itself, not at the token check.
    """
    if not _request_writes():
        yield session()
        return
    lookup = current_app.extensions[LOOKUPS_KEY]()
    try:
        yield lookup
    finally:
        lookup.close()


def commit_then_read(db_session: Session) -> None:
    """Commit the request's writes now; what follows (rendering the answer) only reads.

    Later queries of the session run as a reader's (in autocommit), so the write lock is
    not held while the response is built.
    """
    db_session.commit()
    db_session.bind = current_app.extensions[EXTENSION_KEY][1].kw["bind"]


def new_session(app: Flask, *, writes: bool = True, snapshot: bool = False) -> Session:
    """A session outside any request (command line, workers); the caller commits.

    `snapshot` gives a reader inside a transaction, which PostgreSQL needs for
    server-side cursors (streaming) and for several reads that must agree.
    """
    engine, readers, writers = app.extensions[EXTENSION_KEY]
    if snapshot:
        return Session(bind=engine, expire_on_commit=False)
    return (writers if writes else readers)()


STATISTICS_INTERVAL_SECONDS = 300.0
_statistics_refreshed_at: dict[str, float] = {}


def _refresh_sqlite_statistics(_exc: BaseException | None) -> None:
    """Keep SQLite's planner statistics fresh as directories grow, every few minutes.

    Without them SQLite scans a directory to avoid a sort instead of using the selective
    index; `ANALYZE` under an analysis limit samples each index and takes milliseconds.
    """
    engine = current_app.extensions[EXTENSION_KEY][0]
    key = str(engine.url)
    now = time.monotonic()
    last = _statistics_refreshed_at.get(key)
    if last is not None and now - last < STATISTICS_INTERVAL_SECONDS:
        return
    _statistics_refreshed_at[key] = now
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA busy_timeout=250")
            try:
                connection.exec_driver_sql("PRAGMA analysis_limit=1000")
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
            finally:
                connection.rollback()
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    except SQLAlchemyError:
        pass  # busy: the next window tries again


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.rollback()
        db_session.close()
