"""Operator commands across every organization: `outbox list|retry`, `prune`, `doctor`.

A tenant's admin works through the admin API with a key of that organization; an operator
of the whole server works here, on the server's own database.
"""
from __future__ import annotations

import sys
from dataclasses import asdict

import click

from .. import db
from ..config import Config
from ..services import doctor as doctor_checks
from ..services import outbox_operations, retention
from ..services.actors import Actor
from .common import command_session, echo_json, make_app
from .outbox import outbox_group

STATES = click.Choice(["queued", "sending", "sent", "failed", "dead"])


def retention_policy(config: Config) -> retention.RetentionPolicy:
    return retention.RetentionPolicy(outbox_sent_days=config.outbox_retention_sent_days,
                                     outbox_dead_days=config.outbox_retention_dead_days,
                                     audit_days=config.audit_retention_days)


@outbox_group.command("list")
@click.option("--status", type=STATES, help="Only messages in this state.")
@click.option("--org", "org_id", help="Only this organization's messages.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_outbox(status: str | None, org_id: str | None, limit: int, as_json: bool) -> None:
    """Messages of every organization, newest first (never their bodies)."""
    app = make_app()
    with command_session(app) as session:
        messages = outbox_operations.list_messages(session, status=status, org_id=org_id,
                                                   limit=limit)
        counts = outbox_operations.count_by_status(session)
        rows = [{"id": m.id, "org_id": m.org_id, "to": m.to, "template": m.template,
                 "status": m.status, "attempts": m.attempts, "last_error": m.last_error,
                 "created_at": m.created_at.isoformat()} for m in messages]
    if as_json:
        echo_json({"counts": counts, "messages": rows})
        return
    click.echo("  ".join(f"{state}: {count}" for state, count in sorted(counts.items()))
               or "the outbox is empty")
    for row in rows:
        click.echo(f"{row['id']}  {row['status']:<7} {row['template']:<24} {row['to']}  "
                   f"attempts {row['attempts']}  {row['last_error'] or ''}".rstrip())


@outbox_group.command("retry")
@click.argument("message_ids", nargs=-1)
@click.option("--all-dead", is_flag=True, help="Every dead or failed message.")
@click.option("--org", "org_id", help="Only this organization's messages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def retry_outbox(message_ids: tuple[str, ...], all_dead: bool, org_id: str | None,
                 as_json: bool) -> None:
    """Queue dead or failed messages again with fresh attempts (each one audited)."""
    app = make_app()
    with command_session(app) as session:
        requeued = outbox_operations.retry(session, Actor.cli(), message_ids=message_ids,
                                           all_dead=all_dead, org_id=org_id)
    if as_json:
        echo_json({"requeued": requeued})
    else:
        click.echo(f"requeued {len(requeued)} message(s)")


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Count what would go (up to one batch each).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def prune(dry_run: bool, as_json: bool) -> None:
    """Delete sent and dead email and audit events past their retention (see SCIM_*_RETENTION_*)."""
    app = make_app()
    with command_session(app) as session:
        report = retention.prune(session, retention_policy(app.config["SCIM"]), dry_run=dry_run)
        if dry_run:
            session.rollback()
    payload = {"dry_run": dry_run, **asdict(report)}
    if as_json:
        echo_json(payload)
    else:
        click.echo(", ".join(f"{name}: {count}" for name, count in payload.items()))


@click.command("doctor")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 256),
              help="Workers per host you run, for the connection budget.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def doctor(workers: int, as_json: bool) -> None:
    """Check configuration, database, migrations, SMTP and Redis; say what to fix."""
    app = make_app()
    with app.app_context():
        findings = doctor_checks.diagnose(app.config["SCIM"], db.engine(), workers)
    if as_json:
        echo_json({"findings": [asdict(finding) for finding in findings]})
    else:
        for finding in findings:
            line = f"{finding.status:<4}  {finding.check}: {finding.detail}"
            click.echo(line + (f"\n      fix: {finding.fix}" if finding.fix else ""))
    if any(finding.status == doctor_checks.FAIL for finding in findings):
        sys.exit(1)
