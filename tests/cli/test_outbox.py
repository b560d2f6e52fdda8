"""`scim-server outbox send [--once]` as a real process: delivery, a SIGKILL mid-batch,
two workers at once, and a server that refuses."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import select

import scim_server
from conftest import Tenant
from scim_server import db
from scim_server.cli.outbox import transactions
from scim_server.models import OutboxMessage
from scim_server.services import outbox
from tests.smtp_support import SmtpServer

SOURCE_ROOT = str(Path(scim_server.__file__).resolve().parent.parent)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def queue(app: Flask, tenant: Tenant) -> Callable[[int], dict[str, str]]:
    """Factory: queue `n` emails; return {Message-ID: recipient}."""

    def _queue(n: int) -> dict[str, str]:
        queued = {}
        with transactions(app)() as session:
            for i in range(n):
                message = outbox.enqueue(
                    session, org_id=tenant.org_id, to=f"user{i:03d}@example.test",
                    template="access_granted", cause=f"cli-test:{i}",
                    context={"org_name": "Acme", "product_name": "Jira"})
                queued[message.message_id] = message.to
        return queued

    return _queue


@pytest.fixture
def worker(database_url: str, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Factory: start `scim-server outbox send ARGS` on the test database."""
    started: list[subprocess.Popen] = []

    def _start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
        environment.update({"SCIM_DATABASE_URL": database_url, "PYTHONPATH": SOURCE_ROOT,
                            "PYTHONUNBUFFERED": "1", "SCIM_OUTBOX_POLL_SECONDS": "0.2",
                            "SCIM_OUTBOX_BACKOFF_SECONDS": "0", **(env or {})})
        process = subprocess.Popen(
            [sys.executable, "-c", "from scim_server.cli import main; main()", "outbox",
             "send", *args], env=environment, cwd=tmp_path, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    yield _start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def statuses(app: Flask) -> Counter[str]:
    session = db.new_session(app, writes=False)
    try:
        return Counter(session.scalars(select(OutboxMessage.status)))
    finally:
        session.close()


def finish(process: subprocess.Popen, timeout: float = 90) -> dict[str, object]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return dict(json.loads(out))


def test_once_delivers_everything_due_and_reports(
        app: Flask, queue: Callable[[int], dict[str, str]], smtp: SmtpServer,
        worker: Callable[..., subprocess.Popen]) -> None:
    queued = queue(4)
    summary = finish(worker("--once", env={"SCIM_SMTP_URL": smtp.url,
                                           "SCIM_SMTP_FROM": "Acme <noreply@acme.test>"}))
    assert (summary["sent"], summary["retrying"], summary["dead"]) == (4, 0, 0)
    assert {r.message_id: r.recipients[0] for r in smtp.received} == queued
    assert {r.mail_from for r in smtp.received} == {"noreply@acme.test"}
    assert statuses(app) == {"sent": 4}


def test_without_an_smtp_url_emails_stay_queued(
        app: Flask, queue: Callable[[int], dict[str, str]],
        worker: Callable[..., subprocess.Popen]) -> None:
    queue(1)
    process = worker("--once")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "SCIM_SMTP_URL is not set" in err
    bad = worker("--once", env={"SCIM_SMTP_URL": "ftp://mail.test"})
    _out, err = bad.communicate(timeout=60)
    assert bad.returncode == 1 and "scheme" in err
    assert statuses(app) == {"queued": 1}


def test_a_worker_killed_mid_batch_loses_nothing(
        app: Flask, queue: Callable[[int], dict[str, str]], smtp: SmtpServer,
        worker: Callable[..., subprocess.Popen]) -> None:
    queued = queue(12)
    smtp.handler.delay_seconds = 0.25
    env = {"SCIM_SMTP_URL": smtp.url, "SCIM_OUTBOX_BATCH_SIZE": "5",
           "SCIM_OUTBOX_LEASE_SECONDS": "3"}
    first = worker(env=env)
    smtp.wait_for(3, timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    delivered_before = len(smtp.received)
    assert 3 <= delivered_before < 12
    left = statuses(app)
    assert left["sent"] < 12 and left["sending"] > 0  # claimed by the dead worker
    time.sleep(3.2)  # its lease runs out
    smtp.handler.delay_seconds = 0
    summary = finish(worker("--once", env=env))
    assert statuses(app) == {"sent": 12}
    received = Counter(r.message_id for r in smtp.received)
    assert set(received) == set(queued)  # every message arrived
    # At least once: only the message in flight at the kill may arrive twice, and a
    # second copy carries the same Message-ID, so the receiver can tell.
    assert sum(received.values()) - 12 <= 1
    assert summary["sent"] == 12 - left["sent"]


def test_two_workers_at_once_send_each_message_exactly_once(
        app: Flask, queue: Callable[[int], dict[str, str]], smtp: SmtpServer,
        worker: Callable[..., subprocess.Popen], backend: str) -> None:
    queued = queue(60)
    smtp.handler.delay_seconds = 0.05
    env = {"SCIM_SMTP_URL": smtp.url, "SCIM_OUTBOX_BATCH_SIZE": "3"}
    first, second = worker(env=env), worker(env=env)  # two worker loops
    smtp.wait_for(60, timeout=120)
    time.sleep(0.5)  # anything sent twice would arrive now
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
    logs = []
    for process in (first, second):
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        logs.append(err)
    received = Counter(r.message_id for r in smtp.received)
    assert set(received) == set(queued) and set(received.values()) == {1}, backend
    assert statuses(app) == {"sent": 60}
    sent_by = [sum(entry.get("sent", 0) for entry in map(json.loads, log.splitlines())
                   if entry.get("logger") == "scim_server.outbox") for log in logs]
    assert sum(sent_by) == 60 and min(sent_by) > 0, sent_by  # both did part of the work


def test_a_refusing_server_means_retries_then_dead(
        app: Flask, queue: Callable[[int], dict[str, str]], smtp: SmtpServer,
        worker: Callable[..., subprocess.Popen]) -> None:
    queue(2)
    smtp.handler.data_reply = "451 4.3.2 System not accepting network messages"
    env = {"SCIM_SMTP_URL": smtp.url, "SCIM_OUTBOX_MAX_ATTEMPTS": "3"}
    runs = [finish(worker("--once", env=env)) for _ in range(3)]
    assert [(r["retrying"], r["dead"]) for r in runs] == [(2, 0), (2, 0), (0, 2)]
    assert statuses(app) == {"dead": 2} and smtp.received == []
    assert smtp.handler.refused == 6
