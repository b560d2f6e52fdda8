"""Deliver the outbox: claim due messages, send each over SMTP, record what happened.

A claim is a compare-and-set (`UPDATE ... WHERE id = :id AND <still due>`), on PostgreSQL
after `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never hold the same message. A
claim is a lease (`claimed_until`): a worker renews it before each send, and a message
whose worker died becomes due again when the lease runs out. That makes delivery
at-least-once; the stable Message-ID lets a receiver recognise the rare second copy.
Failures are retried with exponential backoff; after `max_attempts` claims, or on a
permanent SMTP refusal, the message is `dead` and stays in the table for inspection.
Any exception while building or sending one message (a stored address the email package
refuses, say) is that message's failure, recorded with its reason; the batch goes on.

The caller owns transactions: `transaction()` yields a session and commits on exit.
"""
from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from ..models import OutboxMessage, utcnow
from . import outbox
from .mailer import DeliveryError, Envelope, Mailer

Transaction = Callable[[], AbstractContextManager[Session]]
Clock = Callable[[], datetime]
ERROR_LIMIT = 2000


@dataclass(frozen=True)
class WorkerSettings:
    """How hard to try: attempts, backoff, lease length and batch size."""

    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 300.0
    batch_size: int = 20


@dataclass
class BatchReport:
    """What one pass did, by message id."""

    claimed: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)


def new_worker_id() -> str:
    """Host, process and a random part: unique per running worker."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int, settings: WorkerSettings) -> timedelta:
    """Wait before attempt `attempts + 1`: doubling from the base, capped, 10% jitter."""
    delay = min(settings.backoff_seconds * 2 ** max(attempts - 1, 0),
                settings.backoff_max_seconds)
    return timedelta(seconds=delay * (1 + random.uniform(0, 0.1)))


def _due(at: datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutboxMessage.status.in_(("queued", "failed")), OutboxMessage.next_attempt_at <= at),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < at),
    )


def claim(session: Session, worker_id: str, now: datetime, settings: WorkerSettings,
          due_at: datetime | None = None) -> list[OutboxMessage]:
    """Take up to `batch_size` messages due at `due_at` (default now); the caller commits."""
    due = _due(min(now, due_at or now))
    candidates = (select(OutboxMessage.id).where(due)
                  .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                  .limit(settings.batch_size))
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed: list[str] = []
    until = now + timedelta(seconds=settings.lease_seconds)
    for message_id in list(session.scalars(candidates)):
        result = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, due)
            .values(status="sending", claimed_by=worker_id, claimed_until=until,
                    attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(message_id)
    if not claimed:
        return []
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                           .execution_options(populate_existing=True))
    return list(rows)


def _mine(message_id: str, worker_id: str) -> ColumnElement[bool]:
    return and_(OutboxMessage.id == message_id, OutboxMessage.status == "sending",
                OutboxMessage.claimed_by == worker_id)


def renew(session: Session, message_id: str, worker_id: str, now: datetime,
          settings: WorkerSettings) -> bool:
    """Extend this worker's lease on a message; False when the claim was lost."""
    result = session.execute(
        update(OutboxMessage).where(_mine(message_id, worker_id))
        .values(claimed_until=now + timedelta(seconds=settings.lease_seconds))
        .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def mark_sent(session: Session, message_id: str, worker_id: str, now: datetime) -> None:
    """Record a delivery."""
    session.execute(
        update(OutboxMessage).where(_mine(message_id, worker_id))
        .values(status="sent", sent_at=now, claimed_by=None, claimed_until=None,
                last_error=None, sealed_secrets=None)
        .execution_options(synchronize_session=False))


def mark_failed(session: Session, message: OutboxMessage, worker_id: str, error: str,
                *, permanent: bool, now: datetime, settings: WorkerSettings) -> str:
    """Record a failed attempt: `failed` (retried later) or `dead`; return the new status."""
    dead = permanent or message.attempts >= settings.max_attempts
    status = "dead" if dead else "failed"
    session.execute(
        update(OutboxMessage).where(_mine(message.id, worker_id))
        .values(status=status, claimed_by=None, claimed_until=None,
                last_error=error[:ERROR_LIMIT], **_erased_if(dead),
                next_attempt_at=now if dead else now + backoff(message.attempts, settings))
        .execution_options(synchronize_session=False))
    return status


def release(session: Session, message: OutboxMessage, worker_id: str, at: datetime) -> None:
    """Give back a claimed message that was not tried; its attempt does not count."""
    session.execute(
        update(OutboxMessage).where(_mine(message.id, worker_id))
        .values(status="failed" if message.last_error else "queued", claimed_by=None,
                claimed_until=None, attempts=OutboxMessage.attempts - 1, next_attempt_at=at)
        .execution_options(synchronize_session=False))


def _erased_if(dead: bool) -> dict[str, None]:
    """A dead message will not be sent again as is: its sealed secrets go (services/outbox)."""
    return {"sealed_secrets": None} if dead else {}


def _envelope(message: OutboxMessage) -> Envelope:
    """The email as sent: the sealed secrets back in place, only in memory."""
    secrets = message.sealed_secrets
    return Envelope(message.id, message.message_id, message.to,
                    str(outbox.unseal(message.subject, secrets)),
                    str(outbox.unseal(message.body_text, secrets)),
                    outbox.unseal(message.body_html, secrets))


def deliver_batch(transaction: Transaction, mailer: Mailer, worker_id: str,
                  settings: WorkerSettings, clock: Clock = utcnow,
                  due_at: datetime | None = None) -> BatchReport:
    """One pass: claim, then send and mark each message in its own short transaction."""
    report = BatchReport()
    with transaction() as session:
        batch = claim(session, worker_id, clock(), settings, due_at)
        session.expunge_all()
    report.claimed = [m.id for m in batch]
    for index, message in enumerate(batch):
        if message.attempts > settings.max_attempts:  # a worker died on it every time
            with transaction() as session:
                mark_failed(session, message, worker_id, "the worker stopped while sending, "
                            f"{message.attempts - 1} times; delivery state unknown",
                            permanent=True, now=clock(), settings=settings)
            report.dead.append(message.id)
            continue
        with transaction() as session:
            if not renew(session, message.id, worker_id, clock(), settings):
                continue
        try:
            mailer.send(_envelope(message))
        except DeliveryError as exc:
            with transaction() as session:
                status = mark_failed(session, message, worker_id, str(exc),
                                     permanent=exc.permanent, now=clock(), settings=settings)
            (report.dead if status == "dead" else report.retrying).append(message.id)
            if exc.connection:  # the server is down: leave the rest for later
                retry_at = clock() + backoff(message.attempts, settings)
                with transaction() as session:
                    for rest in batch[index + 1:]:
                        release(session, rest, worker_id, retry_at)
                report.released = [m.id for m in batch[index + 1:]]
                break
            continue
        except Exception as exc:  # noqa: BLE001 - one message's fault is never the batch's
            mailer.close()  # the SMTP dialogue may be half-way through this message
            with transaction() as session:
                status = mark_failed(session, message, worker_id,
                                     f"cannot send: {type(exc).__name__}: {exc}",
                                     permanent=False, now=clock(), settings=settings)
            (report.dead if status == "dead" else report.retrying).append(message.id)
            continue
        with transaction() as session:
            mark_sent(session, message.id, worker_id, clock())
        report.sent.append(message.id)
    return report


def run(transaction: Transaction, mailer: Mailer, settings: WorkerSettings, *,
        once: bool, poll_seconds: float = 5.0, stop: threading.Event | None = None,
        on_idle: Callable[[], None] | None = None, on_batch: Callable[[BatchReport], None]
        | None = None, worker_id: str | None = None, clock: Clock = utcnow) -> BatchReport:
    """Deliver until stopped; `once` delivers what is due now (each message tried once)."""
    worker_id = worker_id or new_worker_id()
    stop = stop or threading.Event()
    started = clock()
    total = BatchReport()
    while not stop.is_set():
        report = deliver_batch(transaction, mailer, worker_id, settings, clock,
                               due_at=started if once else None)
        for name in ("claimed", "sent", "retrying", "dead", "released"):
            getattr(total, name).extend(getattr(report, name))
        if on_batch is not None and report.claimed:
            on_batch(report)
        if report.claimed and not report.released:
            continue
        if once:
            break
        mailer.close()  # do not hold an idle SMTP connection between polls
        if on_idle is not None:
            on_idle()
        stop.wait(poll_seconds)
    return total


def requeue(session: Session, message_id: str, now: datetime | None = None) -> bool:
    """Queue a dead or failed message again with fresh attempts (an admin's retry);
    False when it is in another state, even if a worker claimed it a moment ago."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(("dead", "failed")))
        .values(status="queued", attempts=0, next_attempt_at=now or utcnow(),
                claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
