"""`scim-server outbox send [--once]`: deliver queued emails over `SCIM_SMTP_URL`.

Without `--once` it is a worker loop (stop it with SIGTERM or Ctrl-C: the message in
flight is finished first); run as many as you like on PostgreSQL. `--once` delivers what
is due now, tries each message at most once, prints a JSON summary and exits.
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import click
from flask import Flask
from sqlalchemy.orm import Session

from .. import db
from ..config import Config
from ..services.expiry_warnings import queue_expiry_warnings
from ..services.mailer import Mailer, parse_smtp_url
from ..services.outbox_worker import (BatchReport, Transaction, WorkerSettings, new_worker_id,
                                      run)
from .common import echo_json, make_app

MAINTENANCE_EVERY_SECONDS = 3600.0


def worker_settings(config: Config) -> WorkerSettings:
    return WorkerSettings(max_attempts=config.outbox_max_attempts,
                          backoff_seconds=config.outbox_backoff_seconds,
                          backoff_max_seconds=config.outbox_backoff_max_seconds,
                          lease_seconds=config.outbox_lease_seconds,
                          batch_size=config.outbox_batch_size)


def transactions(app: Flask) -> Transaction:
    """A factory of short transactions: each commits on success, rolls back on error."""

    @contextmanager
    def transaction() -> Iterator[Session]:
        session = db.new_session(app)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    return transaction


@click.group("outbox")
def outbox_group() -> None:
    """The email outbox."""


@outbox_group.command("send")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def send(once: bool) -> None:
    """Deliver queued emails with retries and backoff; dead after N attempts."""
    app = make_app()
    config: Config = app.config["SCIM"]
    if not config.smtp_url:
        raise click.ClickException("SCIM_SMTP_URL is not set; emails stay queued until it is")
    try:
        smtp = parse_smtp_url(config.smtp_url, sender=config.smtp_from,
                              timeout=config.smtp_timeout_seconds)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    transaction = transactions(app)
    worker_id = new_worker_id()
    stop = threading.Event()
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())
    last_maintenance = [0.0]

    def maintenance() -> None:
        if time.monotonic() - last_maintenance[0] < MAINTENANCE_EVERY_SECONDS:
            return
        last_maintenance[0] = time.monotonic()
        with transaction() as session:
            queue_expiry_warnings(session, thresholds=config.expiry_warning_days)

    def log(report: BatchReport) -> None:
        click.echo(f"outbox {worker_id}: sent {len(report.sent)}, retrying "
                   f"{len(report.retrying)}, dead {len(report.dead)}, released "
                   f"{len(report.released)}", file=sys.stderr)

    click.echo(f"outbox {worker_id}: delivering to {smtp!r}", file=sys.stderr)
    maintenance()
    with Mailer(smtp) as mailer:
        total = run(transaction, mailer, worker_settings(config), once=once,
                    poll_seconds=config.outbox_poll_seconds, stop=stop,
                    on_idle=maintenance, on_batch=log, worker_id=worker_id)
    if once:
        echo_json({"worker_id": worker_id, "sent": len(total.sent),
                   "retrying": len(total.retrying), "dead": len(total.dead),
                   "released": len(total.released)})
