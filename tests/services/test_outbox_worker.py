"""The outbox worker: claims that never overlap, leases, backoff, dead letters, requeue."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.cli.outbox import transactions
from scim_server.models import OutboxMessage, utcnow
from scim_server.services import outbox
from scim_server.services.mailer import Mailer, parse_smtp_url
from scim_server.services.outbox_worker import (WorkerSettings, backoff, claim, deliver_batch,
                                                mark_sent, renew, requeue, run)
from tests.smtp_support import SmtpServer, free_port

FAST = WorkerSettings(max_attempts=3, backoff_seconds=0.0, lease_seconds=60, batch_size=50)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def queue(app: Flask, tenant: Tenant) -> Callable[[int], list[str]]:
    """Factory: queue `n` emails (committed); return their row ids in queue order."""

    def _queue(n: int, prefix: str = "m") -> list[str]:
        ids = []
        with transactions(app)() as session:
            for i in range(n):
                message = outbox.enqueue(
                    session, org_id=tenant.org_id, to=f"{prefix}{i}@example.test",
                    template="access_granted", cause=f"test:{prefix}:{i}",
                    context={"org_name": "Acme", "product_name": f"Product {i}"})
                message.next_attempt_at = utcnow() - timedelta(seconds=n - i)
                ids.append(message.id)
        return ids

    return _queue


def rows(app: Flask) -> dict[str, OutboxMessage]:
    session = db.new_session(app, writes=False)
    try:
        return {m.id: m for m in session.scalars(select(OutboxMessage))}
    finally:
        session.close()


def mailer_for(server: SmtpServer | str) -> Mailer:
    url = server if isinstance(server, str) else server.url
    return Mailer(parse_smtp_url(url, sender="scim@scim.test", timeout=5))


def test_backoff_doubles_and_is_capped() -> None:
    settings = WorkerSettings(backoff_seconds=60, backoff_max_seconds=300)
    waits = [backoff(n, settings).total_seconds() for n in (1, 2, 3, 4, 10)]
    for wait, base in zip(waits, (60, 120, 240, 300, 300)):
        assert base <= wait <= base * 1.1


def test_claims_never_overlap_and_an_expired_lease_frees_a_message(
        app: Flask, queue: Callable[..., list[str]]) -> None:
    ids = queue(10)
    now = utcnow()
    with transactions(app)() as session:
        first = [m.id for m in claim(session, "a", now, WorkerSettings(batch_size=4))]
    with transactions(app)() as session:
        second = [m.id for m in claim(session, "b", now, WorkerSettings(batch_size=50))]
    assert first == ids[:4] and second == ids[4:]
    with transactions(app)() as session:
        assert claim(session, "c", now + timedelta(seconds=299), FAST) == []
        later = now + timedelta(seconds=301)  # the default lease is 300 s
        reclaimed = claim(session, "c", later, FAST)
    assert {m.id for m in reclaimed} == set(ids)
    assert {m.attempts for m in reclaimed} == {2}
    with transactions(app)() as session:  # a worker that lost its claim cannot finish it
        assert not renew(session, ids[0], "a", later, FAST)
        mark_sent(session, ids[0], "a", later)
    assert rows(app)[ids[0]].status == "sending" and rows(app)[ids[0]].claimed_by == "c"


def test_delivery_marks_each_message_sent_with_its_message_id(
        app: Flask, queue: Callable[..., list[str]], smtp: SmtpServer) -> None:
    ids = queue(3)
    with mailer_for(smtp) as mailer:
        report = deliver_batch(transactions(app), mailer, "w", FAST)
    assert report.sent == ids and report.claimed == ids
    stored = rows(app)
    assert {m.status for m in stored.values()} == {"sent"}
    assert all(m.sent_at is not None and m.attempts == 1 and m.claimed_by is None
               for m in stored.values())
    assert sorted(r.message_id for r in smtp.received) == sorted(
        stored[i].message_id for i in ids)
    assert [r.recipients[0] for r in smtp.received] == [stored[i].to for i in ids]


def test_a_refusing_server_means_retries_then_dead_then_a_requeue_delivers(
        app: Flask, queue: Callable[..., list[str]], smtp: SmtpServer) -> None:
    [message_id] = queue(1)
    smtp.handler.data_reply = "451 4.3.0 Mailbox busy"
    statuses = []
    for _ in range(3):
        with mailer_for(smtp) as mailer:
            run(transactions(app), mailer, FAST, once=True)
        statuses.append(rows(app)[message_id].status)
    assert statuses == ["failed", "failed", "dead"]
    dead = rows(app)[message_id]
    assert dead.attempts == 3 and "451" in (dead.last_error or "")
    assert smtp.received == [] and smtp.handler.refused == 3
    with mailer_for(smtp) as mailer:  # dead stays dead
        assert run(transactions(app), mailer, FAST, once=True).claimed == []
    smtp.handler.data_reply = None
    with transactions(app)() as session:
        assert requeue(session, message_id)
        assert not requeue(session, message_id)  # only dead or failed ones
    with mailer_for(smtp) as mailer:
        assert run(transactions(app), mailer, FAST, once=True).sent == [message_id]
    assert rows(app)[message_id].status == "sent" and len(smtp.received) == 1


def test_backoff_spaces_the_attempts(app: Flask, queue: Callable[..., list[str]],
                                     smtp: SmtpServer) -> None:
    [message_id] = queue(1)
    smtp.handler.data_reply = "421 4.7.0 Slow down"
    settings = WorkerSettings(max_attempts=5, backoff_seconds=60, batch_size=10)
    start = utcnow()
    with mailer_for(smtp) as mailer:
        deliver_batch(transactions(app), mailer, "w", settings, clock=lambda: start)
        waited = rows(app)[message_id].next_attempt_at - start
        assert timedelta(seconds=60) <= waited <= timedelta(seconds=66)
        assert deliver_batch(transactions(app), mailer, "w", settings,
                             clock=lambda: start + timedelta(seconds=59)).claimed == []
        second = start + timedelta(seconds=67)
        deliver_batch(transactions(app), mailer, "w", settings, clock=lambda: second)
    waited = rows(app)[message_id].next_attempt_at - second
    assert timedelta(seconds=120) <= waited <= timedelta(seconds=132)


def test_a_permanent_refusal_is_dead_at_once(app: Flask, queue: Callable[..., list[str]],
                                             smtp: SmtpServer) -> None:
    [message_id] = queue(1)
    smtp.handler.rcpt_reply = "550 5.1.1 User unknown"
    with mailer_for(smtp) as mailer:
        report = run(transactions(app), mailer, FAST, once=True)
    assert report.dead == [message_id]
    stored = rows(app)[message_id]
    assert stored.status == "dead" and stored.attempts == 1
    assert "550" in (stored.last_error or "") and "User unknown" in (stored.last_error or "")


def test_a_server_that_is_down_keeps_everything_for_later(
        app: Flask, queue: Callable[..., list[str]]) -> None:
    ids = queue(3)
    port = free_port()
    settings = WorkerSettings(max_attempts=3, backoff_seconds=30, batch_size=10)
    with mailer_for(f"smtp://127.0.0.1:{port}") as mailer:
        report = deliver_batch(transactions(app), mailer, "w", settings)
    assert report.retrying == ids[:1] and report.released == ids[1:]
    stored = rows(app)
    assert stored[ids[0]].status == "failed" and stored[ids[0]].attempts == 1
    assert "cannot reach" in (stored[ids[0]].last_error or "")
    for released in ids[1:]:  # not tried, so the attempt does not count
        assert stored[released].status == "queued" and stored[released].attempts == 0
        assert stored[released].next_attempt_at > utcnow() + timedelta(seconds=20)
    server = SmtpServer(port=port)  # the server comes back
    try:
        later = utcnow() + timedelta(seconds=60)
        with mailer_for(server) as mailer:
            report = deliver_batch(transactions(app), mailer, "w", settings,
                                   clock=lambda: later)
        assert sorted(report.sent) == sorted(ids)
        assert sorted(r.recipients[0] for r in server.received) == sorted(
            stored[i].to for i in ids)
    finally:
        server.stop()


def test_a_message_that_every_worker_dies_on_becomes_dead_unsent(
        app: Flask, queue: Callable[..., list[str]], smtp: SmtpServer) -> None:
    [message_id] = queue(1)
    moment: list[datetime] = [utcnow()]
    for _ in range(FAST.max_attempts):  # claimed, then the worker vanished
        with transactions(app)() as session:
            assert [m.id for m in claim(session, "doomed", moment[0], FAST)] == [message_id]
        moment[0] += timedelta(seconds=FAST.lease_seconds + 1)
    with mailer_for(smtp) as mailer:
        report = deliver_batch(transactions(app), mailer, "w", FAST, clock=lambda: moment[0])
    assert report.dead == [message_id] and smtp.received == []
    stored = rows(app)[message_id]
    assert stored.status == "dead" and "stopped while sending" in (stored.last_error or "")


def test_workers_in_parallel_send_each_message_exactly_once(
        app: Flask, queue: Callable[..., list[str]], smtp: SmtpServer) -> None:
    ids = queue(40)
    settings = WorkerSettings(batch_size=3, backoff_seconds=0)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with mailer_for(smtp) as mailer:
                run(transactions(app), mailer, settings, once=True)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    counts = Counter(r.message_id for r in smtp.received)
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert {m.status for m in rows(app).values()} == {"sent"} and len(ids) == 40
