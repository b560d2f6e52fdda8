"""Health records: counts add up in SQL across writers, the latest push wins, and
retention holds (the newest 1,000 failures per directory, 30 days of hours)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server import db
from scim_server.models import DirectoryPush, ScimFailure, ScimRequestCount
from scim_server.services import health_recording
from scim_server.services.health_recording import CountKey, FailureRecord, Push

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def failure(directory_id: str, number: int, **extra: object) -> FailureRecord:
    values: dict = dict(directory_id=directory_id, occurred_at=NOON + timedelta(seconds=number),
                        request_id=f"req-{number}", method="POST", path="/Users",
                        resource="Users", operation="create", status=409,
                        scim_type="uniqueness", detail="taken", subject_id=None,
                        subject=f"u{number}@acme.test")
    values.update(extra)
    return FailureRecord(**values)


def stored_counts(session: Session, directory_id: str) -> dict[tuple, int]:
    session.rollback()
    return {(r.hour, r.resource, r.operation, r.outcome): r.count
            for r in session.scalars(select(ScimRequestCount).where(
                ScimRequestCount.directory_id == directory_id))}


def test_counts_add_up_whoever_flushes_them(app: Flask, db_session: Session,
                                            tenant: Tenant) -> None:
    key = CountKey(tenant.directory_id, NOON, "Users", "create", "success")
    other = CountKey(tenant.directory_id, NOON, "Users", "create", "409")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        session = db.new_session(app)
        try:
            barrier.wait()
            for _ in range(5):
                health_recording.add_counts(session, {key: 3, other: 1})
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stored_counts(db_session, tenant.directory_id) == {
        (NOON, "Users", "create", "success"): 60, (NOON, "Users", "create", "409"): 20}


def test_the_latest_push_wins_whatever_the_order_of_flushes(app: Flask, db_session: Session,
                                                           tenant: Tenant) -> None:
    session = db.new_session(app)
    later = Push(NOON + timedelta(minutes=5), "Groups", "patch")
    earlier = Push(NOON, "Users", "create")
    health_recording.record_push(session, tenant.directory_id, later)
    health_recording.record_push(session, tenant.directory_id, earlier)
    session.commit()
    session.close()
    db_session.rollback()
    stored = db_session.get(DirectoryPush, tenant.directory_id)
    assert (stored.last_push_at, stored.resource, stored.operation) == (
        later.at, "Groups", "patch")


def test_only_the_newest_thousand_failures_are_kept_per_directory(
        app: Flask, db_session: Session, tenant: Tenant,
        make_tenant) -> None:
    neighbour = make_tenant("Neighbour")
    session = db.new_session(app)
    health_recording.record_failure(session, failure(neighbour.directory_id, 0))
    for number in range(1, 1006):
        health_recording.record_failure(session, failure(tenant.directory_id, number))
    session.commit()
    health_recording.prune_failures(session, tenant.directory_id)
    health_recording.prune_failures(session, neighbour.directory_id)
    session.commit()
    session.close()
    db_session.rollback()
    kept = list(db_session.scalars(select(ScimFailure.request_id).where(
        ScimFailure.directory_id == tenant.directory_id).order_by(ScimFailure.id)))
    assert len(kept) == 1000
    assert kept[0] == "req-6" and kept[-1] == "req-1005"
    assert db_session.scalar(select(func.count()).where(
        ScimFailure.directory_id == neighbour.directory_id)) == 1, "other directories keep theirs"


def test_hours_older_than_thirty_days_are_pruned(app: Flask, db_session: Session,
                                                 tenant: Tenant) -> None:
    now = NOON
    hours = {"old": now - timedelta(days=30, hours=2), "edge": now - timedelta(days=30),
             "recent": now - timedelta(days=29)}
    session = db.new_session(app)
    health_recording.add_counts(session, {
        CountKey(tenant.directory_id, health_recording.hour_of(at), name, "get", "success"): 1
        for name, at in hours.items()})
    session.commit()
    assert health_recording.prune_counts(session, now) == 1
    session.commit()
    session.close()
    assert {resource for _h, resource, _o, _r in stored_counts(db_session, tenant.directory_id)
            } == {"edge", "recent"}


def test_a_failure_on_a_path_id_is_named_by_the_user_it_concerns(
        app: Flask, db_session: Session, tenant: Tenant, scim) -> None:
    created = scim.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                        "userName": "Dora@Acme.test"}).get_json()
    session = db.new_session(app)
    health_recording.record_failure(session, failure(
        tenant.directory_id, 1, method="PATCH", path="/Users/{id}", operation="patch",
        subject=None, subject_id=created["id"], status=400))
    session.commit()
    session.close()
    db_session.rollback()
    row = db_session.scalars(select(ScimFailure).where(ScimFailure.request_id == "req-1")).one()
    assert (row.subject, row.subject_norm) == ("Dora@Acme.test", "dora@acme.test")


def test_a_subject_whose_lower_case_is_longer_is_still_kept(
        app: Flask, db_session: Session, tenant: Tenant) -> None:
    """`str.lower()` turns "İ" into two characters: a 400-character subject (the column)
    would need 800 for its lower-case form, which PostgreSQL refused and the failure was
    lost. The norm is folded one character for one, then cut to the column."""
    subject = "İ" * 400
    session = db.new_session(app)
    health_recording.record_failure(session, failure(tenant.directory_id, 2, subject=subject))
    session.commit()
    session.close()
    db_session.rollback()
    row = db_session.scalars(select(ScimFailure).where(ScimFailure.request_id == "req-2")).one()
    assert row.subject == subject
    assert row.subject_norm == "i" * 400, "folded as PostgreSQL's lower() folds it"
