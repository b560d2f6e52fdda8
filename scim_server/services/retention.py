"""Retention: delivered email and old audit events do not pile up forever.

Sent messages are kept a while so an admin can say "we emailed them on the 3rd"; dead
ones longer, so a failure can still be investigated. Audit events are kept forever unless
the operator sets a period (many compliance regimes ask for a year or more). Deletes run
in bounded batches so a first prune of a large table never holds locks for long.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, OutboxMessage
from ..models.base import utcnow

BATCH = 5000


@dataclass(frozen=True)
class RetentionPolicy:
    """Days to keep each kind of record; 0 keeps it forever."""

    outbox_sent_days: int = 30
    outbox_dead_days: int = 90
    audit_days: int = 0


@dataclass(frozen=True)
class PruneReport:
    outbox_sent: int
    outbox_dead: int
    audit_events: int


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


def _delete_in_batches(session: Session, model: type, condition: ColumnElement[bool],
                       dry_run: bool) -> int:
    ids_stmt = select(model.id).where(condition).limit(BATCH)  # type: ignore[attr-defined]
    total = 0
    while True:
        ids = list(session.scalars(ids_stmt))
        if dry_run or not ids:
            return total + len(ids) if dry_run else total
        session.execute(delete(model).where(model.id.in_(ids))  # type: ignore[attr-defined]
                        .execution_options(synchronize_session=False))
        session.flush()
        total += len(ids)
        if len(ids) < BATCH:
            return total


def prune(session: Session, policy: RetentionPolicy, *, now: datetime | None = None,
          dry_run: bool = False) -> PruneReport:
    """Delete what the policy no longer keeps (a dry run counts up to one batch of each)."""
    now = now or utcnow()
    counts = {"outbox_sent": 0, "outbox_dead": 0, "audit_events": 0}
    sent_before = _cutoff(now, policy.outbox_sent_days)
    if sent_before is not None:
        counts["outbox_sent"] = _delete_in_batches(
            session, OutboxMessage, (OutboxMessage.status == "sent")
            & (OutboxMessage.sent_at < sent_before), dry_run)
    dead_before = _cutoff(now, policy.outbox_dead_days)
    if dead_before is not None:
        counts["outbox_dead"] = _delete_in_batches(
            session, OutboxMessage, (OutboxMessage.status == "dead")
            & (OutboxMessage.created_at < dead_before), dry_run)
    audit_before = _cutoff(now, policy.audit_days)
    if audit_before is not None:
        counts["audit_events"] = _delete_in_batches(
            session, AuditEvent, AuditEvent.occurred_at < audit_before, dry_run)
    return PruneReport(**counts)
