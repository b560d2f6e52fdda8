"""The periodic jobs the product documents, each idempotent and safe to run in parallel.

`scim-server worker` runs them (docs/operations.md); any number of workers may run at
once. Each job runs in one transaction under a per-job lock: on PostgreSQL a
transaction-scoped advisory lock taken with `pg_try_advisory_xact_lock`, so a second
worker skips a job another is running instead of waiting; on SQLite the transaction
begins as a writer (`BEGIN IMMEDIATE`), which serialises them. The jobs are idempotent
too (an erased account is no longer due, a warning has a stable Message-ID), so a job cut
short by a crash simply runs again. Outbox delivery is not here: it claims messages with
leases of its own (services/outbox_worker.py).
"""
from __future__ import annotations

import zlib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from .. import planner_statistics
from ..models import utcnow
from . import retention
from .account_lifecycle import erase_due_accounts
from .actors import Actor
from .expiry_warnings import queue_expiry_warnings
from .retention import RetentionPolicy

Transaction = Callable[[], AbstractContextManager[Session]]
LOCK_NAMESPACE = "scim-server:job:"


@dataclass(frozen=True)
class Job:
    """A named piece of periodic work: `run(session, now)` returns what it did, counted."""

    name: str
    every_seconds: float
    run: Callable[[Session, datetime], int]


@dataclass(frozen=True)
class JobOutcome:
    """One run: `ran` False when another worker held the job's lock."""

    name: str
    ran: bool
    count: int = 0


def lock_key(name: str) -> int:
    """A stable 32-bit advisory lock key for a job name."""
    return zlib.crc32((LOCK_NAMESPACE + name).encode("utf-8")) - 2**31


def _take_job_lock(session: Session, name: str) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: the writer transaction already excludes every other writer
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                               {"key": lock_key(name)}))


def run_job(transaction: Transaction, job: Job, now: datetime | None = None) -> JobOutcome:
    """Run `job` once in its own transaction, unless another worker is running it."""
    with transaction() as session:
        if not _take_job_lock(session, job.name):
            return JobOutcome(job.name, ran=False)
        return JobOutcome(job.name, ran=True, count=job.run(session, now or utcnow()))


def erase_due(session: Session, now: datetime) -> int:
    """Erase accounts whose 14-day grace period is over."""
    return len(erase_due_accounts(session, now, Actor.system()))


def expiry_warnings(thresholds: tuple[int, ...]) -> Callable[[Session, datetime], int]:
    def run(session: Session, now: datetime) -> int:
        return len(queue_expiry_warnings(session, now=now, thresholds=thresholds))
    return run


def refresh_planner_statistics(session: Session, _now: datetime) -> int:
    """Analyze the tables that grew (SQLite: all of them, bounded); returns how many."""
    return len(planner_statistics.refresh(session.connection()))


def prune_retention(policy: RetentionPolicy) -> Callable[[Session, datetime], int]:
    def run(session: Session, now: datetime) -> int:
        report = retention.prune(session, policy, now=now)
        return report.outbox_sent + report.outbox_dead + report.audit_events
    return run


def standard_jobs(config: Any) -> list[Job]:
    """Every periodic job, with how often the worker runs it."""
    return [
        Job("erase-due-accounts", config.worker_erase_every_seconds, erase_due),
        Job("token-expiry-warnings", config.worker_expiry_warnings_every_seconds,
            expiry_warnings(tuple(config.expiry_warning_days))),
        Job("planner-statistics", config.worker_statistics_every_seconds,
            refresh_planner_statistics),
        Job("retention", config.worker_retention_every_seconds, prune_retention(
            RetentionPolicy(outbox_sent_days=config.outbox_retention_sent_days,
                            outbox_dead_days=config.outbox_retention_dead_days,
                            audit_days=config.audit_retention_days))),
    ]
