"""The worker's jobs for planner statistics and retention (issue 17; the guide's note on
PostgreSQL without autovacuum)."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from scim_server import Config, db
from scim_server.cli.outbox import transactions
from scim_server.models import OutboxMessage, utcnow
from scim_server.services import periodic_jobs, tenancy
from scim_server.services.actors import Actor


def _job(name: str) -> periodic_jobs.Job:
    return next(job for job in periodic_jobs.standard_jobs(Config.from_env(
        database_url="sqlite:///unused.sqlite3")) if job.name == name)


def test_the_worker_runs_a_statistics_and_a_retention_job():
    names = [job.name for job in periodic_jobs.standard_jobs(Config.from_env(
        database_url="sqlite:///unused.sqlite3"))]
    assert {"planner-statistics", "retention", "erase-due-accounts"} <= set(names)


def test_statistics_job_analyzes_postgresql_tables_that_grew(app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite: tests/test_migrate.py")
    transaction = transactions(app)
    periodic_jobs.run_job(transaction, _job("planner-statistics"))
    with transaction() as session:
        org = tenancy.create_organization(session, "Acme", Actor.cli())
        for n in range(200):
            session.add(OutboxMessage(org_id=org.id, message_id=f"<{n}@t>", to="a@b.c",
                                      template="invitation", subject="s", body_text="b"))
    deadline = time.monotonic() + 10  # backends publish their counters about once a second
    outcome = periodic_jobs.run_job(transaction, _job("planner-statistics"))
    while outcome.count == 0 and time.monotonic() < deadline:
        time.sleep(0.25)
        outcome = periodic_jobs.run_job(transaction, _job("planner-statistics"))
    assert outcome.ran and outcome.count >= 1
    engine = app.extensions[db.EXTENSION_KEY][0]
    with engine.connect() as connection:
        estimate = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'outbox_messages'").scalar_one()
    assert estimate == 200


def test_retention_job_prunes_old_sent_mail(app):
    transaction = transactions(app)
    old = utcnow() - timedelta(days=45)
    with transaction() as session:
        org = tenancy.create_organization(session, "Acme", Actor.cli())
        session.add_all([
            OutboxMessage(org_id=org.id, message_id="<old@t>", to="a@b.c", template="invitation",
                          subject="s", body_text="b", status="sent", sent_at=old,
                          created_at=old),
            OutboxMessage(org_id=org.id, message_id="<new@t>", to="a@b.c", template="invitation",
                          subject="s", body_text="b", status="sent", sent_at=utcnow())])
    outcome = periodic_jobs.run_job(transaction, _job("retention"))
    assert outcome == periodic_jobs.JobOutcome("retention", ran=True, count=1)
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
