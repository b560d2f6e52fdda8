"""`scim-server outbox send [--once]`: deliver queued emails over `SCIM_SMTP_URL`;
`scim-server outbox show`: read emails, links included, in the terminal.

`SCIM_SMTP_URL=console:` (development) makes `send` print each email to the terminal
instead of an SMTP server, and count it as sent.

Without `--once` it is a worker loop (stop it with SIGTERM or Ctrl-C: the message in
flight is finished first); run as many as you like on PostgreSQL. `--once` delivers what
is due now, tries each message at most once, prints a JSON summary and exits.
"""
from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import db
from ..config import Config
from ..services.expiry_warnings import queue_expiry_warnings
from ..models import OutboxMessage
from ..services.console_mailer import ConsoleMailer, is_console_url
from ..services.console_mailer import render as render_email
from ..services.email_addresses import is_address
from ..services import outbox
from ..services.mailer import Envelope, Mailer, parse_smtp_url
from ..services.outbox_worker import (BatchReport, Transaction, WorkerSettings, new_worker_id,
                                      run)
from .common import echo_json, make_app, require_database

MAINTENANCE_EVERY_SECONDS = 3600.0
logger = logging.getLogger("scim_server.outbox")


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
        raise click.ClickException(
            "SCIM_SMTP_URL is not set; emails stay queued until it is (for development, "
            "SCIM_SMTP_URL=console: prints them here, or read them with `outbox show`)")
    if is_console_url(config.smtp_url):
        smtp: Mailer | ConsoleMailer = ConsoleMailer(sys.stdout, config.smtp_from)
    else:
        try:
            smtp = Mailer(parse_smtp_url(config.smtp_url, sender=config.smtp_from,
                                         timeout=config.smtp_timeout_seconds))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    require_database(app)
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
        logger.info(f"sent {len(report.sent)}, retrying {len(report.retrying)}, dead "
                    f"{len(report.dead)}, released {len(report.released)}",
                    extra={"fields": {"worker_id": worker_id, "sent": len(report.sent),
                                      "retrying": len(report.retrying),
                                      "dead": len(report.dead)}})

    target = smtp if isinstance(smtp, ConsoleMailer) else smtp.settings
    logger.info(f"delivering to {target!r}", extra={"fields": {"worker_id": worker_id}})
    maintenance()
    with smtp as mailer:
        total = run(transaction, mailer, worker_settings(config), once=once,
                    poll_seconds=config.outbox_poll_seconds, stop=stop,
                    on_idle=maintenance, on_batch=log, worker_id=worker_id)
    if once:
        echo_json({"worker_id": worker_id, "sent": len(total.sent),
                   "retrying": len(total.retrying), "dead": len(total.dead),
                   "released": len(total.released)})


@outbox_group.command("show")
@click.option("--to", "recipient", default=None, help="Only emails to this address.")
@click.option("--status", type=click.Choice(("queued", "sending", "sent", "failed", "dead")),
              default=None, help="Only emails in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(recipient: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """Print the newest emails with their text and links (development: no SMTP needed)."""
    app = make_app()
    require_database(app)
    config: Config = app.config["SCIM"]
    with app.app_context():
        session = db.new_session(app, writes=False)
        try:
            query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                                   OutboxMessage.id.desc()).limit(limit)
            if recipient:
                query = query.where(is_address(OutboxMessage.to, recipient))
            if status:
                query = query.where(OutboxMessage.status == status)
            messages = session.scalars(query).all()
        finally:
            session.close()
    if as_json:
        click.echo(json.dumps({"data": [
            {"id": m.id, "to": m.to, "template": m.template, "status": m.status,
             "subject": outbox.unseal(m.subject, m.sealed_secrets),
             "body_text": outbox.unseal(m.body_text, m.sealed_secrets),
             "created_at": m.created_at.isoformat()} for m in messages]}, indent=2))
        return
    if not messages:
        click.echo("no emails", err=True)
    for message in messages:
        # Links as the email carries them: a queued message's secrets are still sealed
        # beside it; once it was sent they are erased, and the link shows as such.
        envelope = Envelope(id=message.id, message_id=message.message_id, to=message.to,
                            subject=str(outbox.unseal(message.subject, message.sealed_secrets)),
                            body_text=str(outbox.unseal(message.body_text,
                                                        message.sealed_secrets)),
                            body_html=None)
        click.echo(f"[{message.status}] {message.template}")
        click.echo(render_email(envelope, config.smtp_from), nl=False)
