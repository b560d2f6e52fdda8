"""`scim-server worker [--once]`: every periodic job of the product in one process.

It delivers the outbox (when `SCIM_SMTP_URL` is set), erases accounts whose grace period
is over, queues token expiry warnings and refreshes SQLite's statistics, each at its own
interval (`SCIM_WORKER_*_EVERY_SECONDS`). Run one or several: outbox messages are claimed
with leases, and each job runs under a lock of its own (services/periodic_jobs.py), so
nothing is sent or erased twice. A failure in one job or one pass is logged and retried
at the next round; it never stops the others. SIGTERM or Ctrl-C finishes the message in
flight, then exits. `--once` runs every job once and delivers what is due now, prints a
JSON summary and exits (for cron and tests).
"""
from __future__ import annotations

import logging
import signal
import threading
import time
import traceback
from typing import Any

import click

from ..config import Config
from ..services.mailer import Mailer, parse_smtp_url
from ..services.outbox_worker import (BatchReport, WorkerSettings, deliver_batch,
                                      new_worker_id, run)
from ..services.periodic_jobs import Job, JobOutcome, run_job, standard_jobs
from .common import echo_json, make_app
from .outbox import transactions, worker_settings

FAILURE_PAUSE_SECONDS = 5.0


logger = logging.getLogger("scim_server.worker")


def _log(worker_id: str, text: str) -> None:
    """One JSON line on standard error, like every other log line (ops/request_log.py)."""
    logger.info(text, extra={"fields": {"worker_id": worker_id}})


def _run_jobs(transaction: Any, jobs: list[Job], last_run: dict[str, float], worker_id: str,
              *, force: bool) -> list[JobOutcome]:
    outcomes = []
    for job in jobs:
        if not force and time.monotonic() - last_run.get(job.name, -1e9) < job.every_seconds:
            continue
        last_run[job.name] = time.monotonic()
        try:
            outcome = run_job(transaction, job)
        except Exception:  # noqa: BLE001 - one job's failure waits for its next round
            _log(worker_id, f"job {job.name} failed:\n{traceback.format_exc()}")
            outcomes.append(JobOutcome(job.name, ran=False))
            continue
        outcomes.append(outcome)
        if outcome.count:
            _log(worker_id, f"job {job.name}: {outcome.count}")
    return outcomes


def _deliver_due(transaction: Any, mailer: Mailer | None, settings: WorkerSettings,
                 worker_id: str, stop: threading.Event) -> None:
    """Deliver until nothing is due (or the server is down, or we are asked to stop)."""
    if mailer is None:
        return
    while not stop.is_set():
        try:
            report = deliver_batch(transaction, mailer, worker_id, settings)
        except Exception:  # noqa: BLE001 - the database or the mailer: try again later
            _log(worker_id, f"outbox pass failed:\n{traceback.format_exc()}")
            mailer.close()
            stop.wait(FAILURE_PAUSE_SECONDS)
            return
        if report.claimed:
            _log(worker_id, f"outbox: sent {len(report.sent)}, retrying "
                            f"{len(report.retrying)}, dead {len(report.dead)}")
        if not report.claimed or report.released:
            return


def _mailer(config: Config) -> Mailer | None:
    if not config.smtp_url:
        return None
    try:
        return Mailer(parse_smtp_url(config.smtp_url, sender=config.smtp_from,
                                     timeout=config.smtp_timeout_seconds))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once, deliver what is due, exit.")
def worker(once: bool) -> None:
    """Run the periodic jobs: outbox delivery, erasure, expiry warnings, statistics."""
    app = make_app()
    config: Config = app.config["SCIM"]
    transaction = transactions(app)
    worker_id = new_worker_id()
    jobs = standard_jobs(config)
    settings = worker_settings(config)
    mailer = _mailer(config)
    if mailer is None:
        _log(worker_id, "SCIM_SMTP_URL is not set: emails stay queued until it is")
    if once:
        outcomes = _run_jobs(transaction, jobs, {}, worker_id, force=True)
        total = BatchReport()
        if mailer is not None:
            with mailer:
                total = run(transaction, mailer, settings, once=True, worker_id=worker_id)
        echo_json({"worker_id": worker_id,
                   "jobs": {o.name: {"ran": o.ran, "count": o.count} for o in outcomes},
                   "outbox": {"sent": len(total.sent), "retrying": len(total.retrying),
                              "dead": len(total.dead), "released": len(total.released)}})
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    _log(worker_id, f"running {', '.join(j.name for j in jobs)}"
                    + (f" and outbox delivery to {mailer.settings!r}" if mailer else ""))
    last_run: dict[str, float] = {}
    while not stop.is_set():
        _run_jobs(transaction, jobs, last_run, worker_id, force=False)
        _deliver_due(transaction, mailer, settings, worker_id, stop)
        if mailer is not None:
            mailer.close()  # no idle SMTP connection between polls
        stop.wait(config.outbox_poll_seconds)
    _log(worker_id, "stopped")
