"""The in-process buffer: counts wait in memory, are written in one batch per directory,
survive a database outage, and say when a batch is due."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server import db
from scim_server.models import DirectoryPush, ScimRequestCount
from scim_server.services.health_buffer import HealthBuffer

AT = datetime(2026, 11, 30, 12, 34, 56, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counts(session: Session) -> dict[tuple[str, str, str], int]:
    session.rollback()
    return {(r.resource, r.operation, r.outcome): r.count
            for r in session.scalars(select(ScimRequestCount))}


def test_nothing_is_written_until_a_flush(app: Flask, db_session: Session,
                                          tenant: Tenant) -> None:
    buffer = HealthBuffer(lambda: db.new_session(app), interval=60, threshold=100)
    for _ in range(3):
        buffer.count(tenant.directory_id, "Users", "create", "success", AT, push=True)
    buffer.count(tenant.directory_id, "Users", "create", "409", AT, push=False)
    assert counts(db_session) == {}
    buffer.flush()
    assert counts(db_session) == {("Users", "create", "success"): 3,
                                  ("Users", "create", "409"): 1}
    row = db_session.scalars(select(DirectoryPush)).one()
    assert (row.last_push_at, row.operation) == (AT, "create")
    hour = db_session.scalars(select(ScimRequestCount.hour)).first()
    assert hour == datetime(2026, 11, 30, 12, tzinfo=timezone.utc)


def test_a_batch_is_due_by_time_by_size_and_after_a_failure_recovers(app: Flask,
                                                                     tenant: Tenant) -> None:
    clock = Clock()
    buffer = HealthBuffer(lambda: db.new_session(app), interval=5, threshold=3, clock=clock)
    d = tenant.directory_id
    assert not buffer.count(d, "Users", "get", "success", AT, push=False)
    assert not buffer.count(d, "Users", "get", "success", AT, push=False)
    assert buffer.count(d, "Users", "get", "success", AT, push=False), "threshold reached"
    buffer.flush()
    assert not buffer.count(d, "Users", "get", "success", AT, push=False)
    clock.now += 5
    assert buffer.count(d, "Users", "get", "success", AT, push=False), "interval passed"
    buffer.flush()
    buffer.note_failure(d)
    assert not buffer.count(d, "Users", "get", "success", AT, push=False), "a read"
    assert buffer.count(d, "Users", "patch", "success", AT, push=True), "a push after a failure"


def test_counts_survive_an_unavailable_database(app: Flask, db_session: Session,
                                                tenant: Tenant) -> None:
    calls = {"n": 0}

    def sessions() -> Session:
        calls["n"] += 1
        session = db.new_session(app)
        if calls["n"] == 1:
            def refuse(*_args: object, **_kwargs: object) -> None:
                raise OperationalError("INSERT", {}, Exception("database is down"))
            session.execute = refuse  # type: ignore[method-assign]
        return session

    buffer = HealthBuffer(sessions, interval=60, threshold=100)
    buffer.count(tenant.directory_id, "Groups", "patch", "success", AT, push=True)
    buffer.flush()
    assert counts(db_session) == {} and buffer.pending() == 1
    buffer.flush()
    assert counts(db_session) == {("Groups", "patch", "success"): 1}
    assert buffer.pending() == 0


def test_counts_of_a_deleted_directory_are_dropped(app: Flask, db_session: Session,
                                                   tenant: Tenant) -> None:
    buffer = HealthBuffer(lambda: db.new_session(app), interval=60, threshold=100)
    buffer.count("no-such-directory", "Users", "get", "success", AT, push=False)
    buffer.count(tenant.directory_id, "Users", "get", "success", AT, push=False)
    buffer.flush()
    assert counts(db_session) == {("Users", "get", "success"): 1}
    assert buffer.pending() == 0


def test_a_flush_prunes_the_failures_of_directories_that_had_new_ones(
        app: Flask, db_session: Session, tenant: Tenant) -> None:
    from scim_server.models import ScimFailure
    from scim_server.services import health_recording
    from scim_server.services.health_recording import FailureRecord

    session = db.new_session(app)
    for number in range(5):
        health_recording.record_failure(session, FailureRecord(
            tenant.directory_id, AT, f"r{number}", "GET", "/Users", "Users", "list", 400,
            "invalidFilter", "bad", None, None))
    session.commit()
    session.close()
    buffer = HealthBuffer(lambda: db.new_session(app), interval=60, threshold=100,
                          keep_failures=3)
    buffer.count(tenant.directory_id, "Users", "list", "400", AT, push=False)
    buffer.flush()
    db_session.rollback()
    assert len(db_session.scalars(select(ScimFailure)).all()) == 5, "not noted: not pruned"
    buffer.note_failure(tenant.directory_id)
    buffer.count(tenant.directory_id, "Users", "list", "400", AT, push=False)
    buffer.flush()
    db_session.rollback()
    assert [f.request_id for f in db_session.scalars(
        select(ScimFailure).order_by(ScimFailure.id))] == ["r2", "r3", "r4"]
