"""Write provisioning-health records: counts and last pushes by upsert, failures by insert.

Counts arrive in batches from each process's buffer (services/health_buffer.py) and are
added in SQL (`count = count + n`, an `INSERT ... ON CONFLICT DO UPDATE`), so any number
of workers on any number of hosts can flush into the same rows without losing an
increment. A failure is one row, written in its own transaction when it happens; the newest 1,000
per directory are kept, pruned by the same writer that flushes the counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import case, delete, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import DirectoryPush, DirectoryUser, Group, ScimFailure, ScimRequestCount, utcnow
from .directory_users import norm

RETENTION_DAYS = 30
FAILURES_KEPT = 1000
#: Operations that change a directory's data: what "a push" means (docs/health.md).
PUSH_OPERATIONS = frozenset({"create", "replace", "patch", "delete", "bulk"})


@dataclass(frozen=True)
class CountKey:
    """One cell of the hourly counts."""

    directory_id: str
    hour: datetime
    resource: str
    operation: str
    outcome: str


@dataclass(frozen=True)
class Push:
    """A successful push: when, and which operation on which resource type."""

    at: datetime
    resource: str
    operation: str


@dataclass(frozen=True)
class FailureRecord:
    """What is kept of a refused request; never its body, headers or query string."""

    directory_id: str
    occurred_at: datetime
    request_id: str | None
    method: str
    path: str
    resource: str
    operation: str
    status: int
    scim_type: str | None
    detail: str | None
    subject_id: str | None
    subject: str | None


def relax_durability(session: Session) -> None:
    """Let this transaction's commit return before its WAL record reaches disk (PostgreSQL).

    Health records are observations, not data: losing the last few hundred milliseconds
    of them in a crash of the database server costs nothing, while waiting for the disk
    would add a flush to every refused request. The database stays consistent either way.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def hour_of(moment: datetime) -> datetime:
    """The start of the hour `moment` falls in (counts are kept per hour)."""
    return moment.replace(minute=0, second=0, microsecond=0)


def _insert(session: Session, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))


def add_counts(session: Session, counts: Mapping[CountKey, int]) -> None:
    """Add each count to its hourly row, creating the row the first time."""
    if not counts:
        return
    relax_durability(session)
    stmt = _insert(session, ScimRequestCount).values([
        {"directory_id": k.directory_id, "hour": k.hour, "resource": k.resource,
         "operation": k.operation, "outcome": k.outcome, "count": n}
        for k, n in counts.items()])
    session.execute(stmt.on_conflict_do_update(
        index_elements=["directory_id", "hour", "resource", "operation", "outcome"],
        set_={"count": ScimRequestCount.count + stmt.excluded["count"]}))


def record_push(session: Session, directory_id: str, push: Push) -> None:
    """Keep the later of the stored and the given push (workers flush in any order)."""
    stmt = _insert(session, DirectoryPush).values(
        directory_id=directory_id, last_push_at=push.at, resource=push.resource,
        operation=push.operation)
    newer = stmt.excluded["last_push_at"] > DirectoryPush.last_push_at
    session.execute(stmt.on_conflict_do_update(index_elements=["directory_id"], set_={
        "last_push_at": case((newer, stmt.excluded["last_push_at"]),
                             else_=DirectoryPush.last_push_at),
        "resource": case((newer, stmt.excluded["resource"]), else_=DirectoryPush.resource),
        "operation": case((newer, stmt.excluded["operation"]), else_=DirectoryPush.operation),
    }))


def record_failure(session: Session, failure: FailureRecord) -> None:
    """Insert one failure (one Core INSERT), naming the user or group from the path when
    the body did not. Pruning to the newest 1,000 happens later, off the request path
    (`prune_failures`, called by the buffer's writer)."""
    relax_durability(session)
    subject = failure.subject or _subject_of(session, failure)
    session.execute(insert(ScimFailure).values(
        directory_id=failure.directory_id, occurred_at=failure.occurred_at,
        request_id=failure.request_id, method=failure.method, path=failure.path,
        resource=failure.resource, operation=failure.operation, status=failure.status,
        scim_type=failure.scim_type, detail=failure.detail, subject_id=failure.subject_id,
        subject=subject[:400] if subject else None,
        subject_norm=norm(subject[:400]) if subject else None))


def prune_failures(session: Session, directory_id: str, keep: int = FAILURES_KEPT) -> None:
    """Delete all but the newest `keep` failures of a directory (one indexed range)."""
    oldest_kept = (select(ScimFailure.id).where(ScimFailure.directory_id == directory_id)
                   .order_by(ScimFailure.id.desc()).offset(keep - 1).limit(1)
                   .scalar_subquery())
    session.execute(delete(ScimFailure).where(ScimFailure.directory_id == directory_id,
                                              ScimFailure.id < oldest_kept))


def prune_counts(session: Session, now: datetime | None = None) -> int:
    """Delete hourly counts older than the retention window; the number deleted."""
    cutoff = hour_of((now or utcnow()) - timedelta(days=RETENTION_DAYS))
    result = session.execute(delete(ScimRequestCount).where(ScimRequestCount.hour < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _subject_of(session: Session, failure: FailureRecord) -> str | None:
    if not failure.subject_id:
        return None
    if failure.resource == "Users":
        return session.scalar(select(DirectoryUser.user_name).where(
            DirectoryUser.id == failure.subject_id,
            DirectoryUser.directory_id == failure.directory_id))
    if failure.resource == "Groups":
        return session.scalar(select(Group.display_name).where(
            Group.id == failure.subject_id, Group.directory_id == failure.directory_id))
    return None
