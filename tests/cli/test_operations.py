"""Operator commands across organizations: `outbox list|retry`, `prune`, `doctor`,
and `bootstrap` printing the ids rotation needs (issue 17, findings 6 and 8)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from scim_server.cli import main
from scim_server.models import AuditEvent, OutboxMessage
from scim_server.models.base import utcnow
from scim_server.services import tenancy
from scim_server.services.actors import Actor


@pytest.fixture
def cli(database_url, app, monkeypatch) -> CliRunner:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    for name in ("SCIM_SMTP_URL", "SCIM_REDIS_URL", "SCIM_METRICS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def run_json(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _message(org_id: str, status: str, *, age_days: int = 0, number: int = 0) -> OutboxMessage:
    at = utcnow() - timedelta(days=age_days)
    return OutboxMessage(org_id=org_id, message_id=f"<m{org_id}{status}{number}@t>",
                         to=f"p{number}@example.com", template="invitation", subject="s",
                         body_text="b", status=status, attempts=8 if status == "dead" else 1,
                         last_error="550 no such user" if status == "dead" else None,
                         created_at=at, next_attempt_at=at,
                         sent_at=at if status == "sent" else None)


@pytest.fixture
def two_orgs_with_mail(db_session):
    orgs = [tenancy.create_organization(db_session, name, Actor.cli()) for name in ("A", "B")]
    db_session.flush()
    for org in orgs:
        db_session.add_all([_message(org.id, "dead"), _message(org.id, "sent", number=1),
                            _message(org.id, "queued", number=2)])
    db_session.commit()
    return [org.id for org in orgs]


def test_outbox_list_spans_organizations_and_filters(cli, two_orgs_with_mail):
    everything = run_json(cli, "outbox", "list")
    assert everything["counts"] == {"dead": 2, "sent": 2, "queued": 2}
    assert {row["org_id"] for row in everything["messages"]} == set(two_orgs_with_mail)
    dead = run_json(cli, "outbox", "list", "--status", "dead")["messages"]
    assert [row["status"] for row in dead] == ["dead", "dead"]
    assert dead[0]["last_error"] == "550 no such user"
    assert "body_text" not in dead[0] and "subject" not in dead[0]  # never the content
    one_org = run_json(cli, "outbox", "list", "--org", two_orgs_with_mail[0])["messages"]
    assert {row["org_id"] for row in one_org} == {two_orgs_with_mail[0]}


def test_outbox_retry_requeues_every_dead_message_and_audits_each(cli, two_orgs_with_mail,
                                                                   db_session):
    requeued = run_json(cli, "outbox", "retry", "--all-dead")["requeued"]
    assert len(requeued) == 2
    db_session.rollback()
    rows = db_session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(requeued)))
    assert {(m.status, m.attempts) for m in rows} == {("queued", 0)}
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.requeued"))
    assert sorted(e.org_id for e in events) == sorted(two_orgs_with_mail)
    assert run_json(cli, "outbox", "retry", "--all-dead")["requeued"] == []


def test_outbox_retry_by_id_leaves_other_states_alone(cli, two_orgs_with_mail, db_session):
    sent = db_session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sent")
                              ).first()
    assert run_json(cli, "outbox", "retry", sent)["requeued"] == []
    result = cli.invoke(main, ["outbox", "retry"])  # neither ids nor --all-dead
    assert result.exit_code != 0 and "not both" in result.output


def test_prune_deletes_only_what_retention_no_longer_keeps(cli, db_session, monkeypatch):
    org = tenancy.create_organization(db_session, "A", Actor.cli())
    db_session.flush()
    db_session.add_all([_message(org.id, "sent", age_days=31, number=1),
                        _message(org.id, "sent", age_days=29, number=2),
                        _message(org.id, "dead", age_days=91, number=3),
                        _message(org.id, "dead", age_days=60, number=4),
                        _message(org.id, "queued", age_days=400, number=5)])
    db_session.commit()
    dry = run_json(cli, "prune", "--dry-run")
    assert (dry["outbox_sent"], dry["outbox_dead"], dry["audit_events"]) == (1, 1, 0)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 5
    done = run_json(cli, "prune")
    assert (done["outbox_sent"], done["outbox_dead"]) == (1, 1)
    db_session.rollback()
    kept = {m.to for m in db_session.scalars(select(OutboxMessage))}
    assert kept == {"p2@example.com", "p4@example.com", "p5@example.com"}
    audit_before = db_session.scalar(select(func.count()).select_from(AuditEvent))
    assert audit_before > 0  # audit events are kept forever unless a period is set
    monkeypatch.setenv("SCIM_AUDIT_RETENTION_DAYS", "1")
    db_session.execute(AuditEvent.__table__.update().values(occurred_at=utcnow()
                                                            - timedelta(days=2)))
    db_session.commit()
    assert run_json(cli, "prune")["audit_events"] == audit_before


def test_doctor_says_what_to_fix_and_fails_on_pending_migrations(cli, tmp_path, monkeypatch):
    ok = run_json(cli, "doctor")
    checks = {f["check"]: f for f in ok["findings"]}
    assert checks["database"]["status"] == "ok" and checks["migrations"]["status"] == "ok"
    assert checks["smtp_url"]["status"] == "warn" and "SCIM_SMTP_URL" in checks["smtp_url"]["fix"]
    monkeypatch.setenv("SCIM_DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}")
    result = cli.invoke(main, ["doctor"])
    assert result.exit_code == 1
    assert "migrations pending" in result.output and "scim-server db upgrade" in result.output


def test_doctor_names_an_unreachable_smtp_relay(cli, monkeypatch):
    monkeypatch.setenv("SCIM_SMTP_URL", "smtp://127.0.0.1:9")  # discard port: nothing listens
    result = cli.invoke(main, ["doctor", "--json"])
    assert result.exit_code == 1
    smtp = next(f for f in json.loads(result.output)["findings"] if f["check"] == "smtp")
    assert smtp["status"] == "fail" and "127.0.0.1:9" in smtp["detail"]


def test_doctor_counts_the_postgresql_connection_budget(cli, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip("a connection budget is PostgreSQL's")
    monkeypatch.setenv("SCIM_DATABASE_POOL_SIZE", "40")
    monkeypatch.setenv("SCIM_DATABASE_MAX_OVERFLOW", "20")
    result = cli.invoke(main, ["doctor", "--workers", "4", "--json"])
    assert result.exit_code == 1  # a failed check fails the command
    budget = next(f for f in json.loads(result.output)["findings"]
                  if f["check"] == "connection_budget")
    assert budget["status"] == "fail" and "240 connections" in budget["detail"]


def test_bootstrap_prints_the_ids_rotation_needs(cli):
    out = run_json(cli, "bootstrap", "--org", "Acme", "--directory", "D")
    rotated = run_json(cli, "token", "rotate", "--token-id", out["scim_token_id"])
    assert rotated["scim_token"] != out["scim_token"]
    assert out["admin_key_id"]


def test_worker_log_lines_are_json(cli):
    """Every line the worker logs is one JSON object, like the server's (issue 17, 8)."""
    result = cli.invoke(main, ["worker", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "the worker says what it does"
    entries = [json.loads(line) for line in lines]
    assert all(e["logger"].startswith("scim_server") and "worker_id" in e for e in entries
               if e["logger"] == "scim_server.worker")
    assert any(e["logger"] == "scim_server.worker" for e in entries)
