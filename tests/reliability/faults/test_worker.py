"""`scim-server worker` runs every periodic job, restart-safe and safe in parallel
(issue 11, finding 9: nothing ran the erasure after the 14-day grace period)."""
from __future__ import annotations

import json
import signal
import time
from collections import Counter
from datetime import timedelta
from typing import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from conftest import Tenant
from scim_server import db
from scim_server.cli.outbox import transactions
from scim_server.models import Account, AuditEvent, OutboxMessage, utcnow
from scim_server.services import outbox
from tests.smtp_support import SmtpServer

from .conftest import WorkerProcess

FAST = {"SCIM_OUTBOX_POLL_SECONDS": "0.2", "SCIM_OUTBOX_BACKOFF_SECONDS": "0",
        "SCIM_OUTBOX_LEASE_SECONDS": "2"}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


def add_accounts(app: Flask, org_id: str, *, due: int, not_due: int = 0) -> list[str]:
    """Accounts pending deletion: `due` past their grace period, `not_due` within it."""
    now = utcnow()
    ids = []
    with transactions(app)() as session:
        for n in range(due + not_due):
            when = now - timedelta(hours=1) if n < due else now + timedelta(days=3)
            account = Account(org_id=org_id, email=f"gone{n}@example.test",
                              email_norm=f"gone{n}@example.test", status="pending_deletion",
                              source="invited", deletion_due_at=when)
            session.add(account)
            session.flush()
            ids.append(account.id)
    return ids


def queue_mail(app: Flask, org_id: str, count: int) -> None:
    with transactions(app)() as session:
        for n in range(count):
            message = outbox.enqueue(session, org_id=org_id, to=f"user{n}@example.test",
                                     template="access_granted", cause=f"worker-test:{n}",
                                     context={"org_name": "Acme", "product_name": "Jira"})
            message.next_attempt_at = utcnow() - timedelta(seconds=count - n)


def erased(app: Flask, ids: list[str]) -> dict[str, int]:
    """How many `user.erased` audit events each account got (0 = not erased)."""
    session = db.new_session(app, writes=False)
    try:
        counted = dict(session.execute(
            select(AuditEvent.target_id, func.count()).where(
                AuditEvent.action == "user.erased", AuditEvent.target_id.in_(ids))
            .group_by(AuditEvent.target_id)).all())
        emails = dict(session.execute(select(Account.id, Account.email)
                                      .where(Account.id.in_(ids))).all())
    finally:
        session.close()
    for account_id, count in counted.items():
        assert emails[account_id] is None, "an erased account keeps no email"
    return {i: int(counted.get(i, 0)) for i in ids}


def outbox_states(app: Flask) -> Counter[str]:
    session = db.new_session(app, writes=False)
    try:
        return Counter(session.scalars(select(OutboxMessage.status)))
    finally:
        session.close()


def summary_of(output: str) -> dict:
    """The indented JSON summary `--once` prints among the one-line JSON log entries."""
    lines = output.splitlines()
    start = lines.index("{")
    return dict(json.loads("\n".join(lines[start:lines.index("}", start) + 1])))


def finish(worker: WorkerProcess, timeout: float = 60) -> str:
    assert worker.process.wait(timeout=timeout) == 0, worker.output()
    return worker.output()


def test_worker_once_erases_due_accounts_and_delivers_mail(
        app: Flask, tenant: Tenant, smtp: SmtpServer,
        start_worker: Callable[..., WorkerProcess]) -> None:
    ids = add_accounts(app, tenant.org_id, due=2, not_due=1)
    queue_mail(app, tenant.org_id, 3)
    output = finish(start_worker("--once", env={"SCIM_SMTP_URL": smtp.url, **FAST}))
    summary = summary_of(output)
    assert summary["jobs"]["erase-due-accounts"] == {"ran": True, "count": 2}
    assert summary["outbox"]["sent"] == 3
    assert erased(app, ids) == {ids[0]: 1, ids[1]: 1, ids[2]: 0}
    assert sorted(r.recipients[0] for r in smtp.received) == [
        "user0@example.test", "user1@example.test", "user2@example.test"]


def test_two_workers_at_once_neither_double_send_nor_double_erase(
        app: Flask, backend: str, tenant: Tenant, smtp: SmtpServer,
        start_worker: Callable[..., WorkerProcess]) -> None:
    if backend != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL")
    ids = add_accounts(app, tenant.org_id, due=8)
    queue_mail(app, tenant.org_id, 40)
    smtp.handler.delay_seconds = 0.02
    env = {"SCIM_SMTP_URL": smtp.url, "SCIM_OUTBOX_BATCH_SIZE": "5", **FAST}
    workers = [start_worker(env=env), start_worker(env=env)]
    received = smtp.wait_for(40, timeout=60)
    time.sleep(1.0)  # anything sent twice would arrive now
    for worker in workers:
        worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        finish(worker, timeout=30)
    received = smtp.received
    counts = Counter(r.message_id for r in received)
    assert len(counts) == 40 and max(counts.values()) == 1, counts.most_common(3)
    assert outbox_states(app) == Counter({"sent": 40})
    assert erased(app, ids) == {i: 1 for i in ids}
    both_sent = [w.output().count("outbox: sent") for w in workers]
    print(f"\ntwo workers: outbox passes per worker {both_sent}, 40 messages, each once")


def test_kill_9_mid_delivery_then_restart_delivers_everything(
        app: Flask, backend: str, tenant: Tenant, smtp: SmtpServer,
        start_worker: Callable[..., WorkerProcess]) -> None:
    if backend != "postgresql":
        pytest.skip("the production store; leases work alike on SQLite")
    queue_mail(app, tenant.org_id, 5)
    smtp.handler.delay_seconds = 0.5  # the server takes a while to accept each message
    env = {"SCIM_SMTP_URL": smtp.url, **FAST}
    first = start_worker(env=env)
    smtp.wait_for(2, timeout=30)
    time.sleep(0.2)  # the third message is on the wire, not yet acknowledged
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    second = start_worker(env=env)
    deadline = time.monotonic() + 60
    while len({r.message_id for r in smtp.received}) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # anything sent twice more would arrive now
    second.process.send_signal(signal.SIGTERM)
    finish(second, timeout=30)
    counts = Counter(r.message_id for r in smtp.received)
    assert len(counts) == 5, second.output()
    assert sum(counts.values()) <= 6, counts  # at most the one in flight, twice
    assert outbox_states(app) == Counter({"sent": 5})
    print(f"\nkill -9 mid-delivery: {sum(counts.values())} deliveries for 5 messages, "
          f"{sum(1 for c in counts.values() if c > 1)} twice")
