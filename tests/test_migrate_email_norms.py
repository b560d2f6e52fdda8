"""Migration 0013_email_norms: stored email norms refolded by the one rule, on both backends.

Before 0013 the admin API, console and public pages kept `str.lower()` of an address and
SCIM kept `casefold.fold` of it; the two differ on "İ" and a word-final "Σ", so one
person could hold two accounts. The migration rewrites every norm by the one rule; where
two accounts of an organization would end up with the same norm it changes neither,
reports the pair (a log line and an audit event) and goes on.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from scim_server import Config, db, migrate
from scim_server.models import (Account, AuditEvent, EmailedLink, OutboxMessage,
                                ScimFailure, new_id)
from scim_server.services import tenancy
from scim_server.services.actors import Actor

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _to(engine: Engine, revision: str, *, down: bool = False, **attributes: Any) -> None:
    with engine.begin() as connection:
        cfg = migrate.alembic_config()
        cfg.attributes.update(attributes, connection=connection)
        (command.downgrade if down else command.upgrade)(cfg, revision)


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    """A database migrated to 0012, the revision before the refold."""
    built = db.build_engine(Config.from_env(database_url=empty_database_url))
    _to(built, "0012")
    yield built
    built.dispose()


class World:
    """Rows as the code before 0013 wrote them, and what to expect of each."""

    def __init__(self, engine: Engine):
        self.engine = engine
        with Session(engine) as session:
            acme = tenancy.create_organization(session, "Acme", Actor.cli())
            other = tenancy.create_organization(session, "Other", Actor.cli())
            directory = tenancy.create_directory(session, acme, "IdP", "generic", Actor.cli())
            session.commit()
            self.acme, self.other, self.directory = acme.id, other.id, directory.id
        self.ids: dict[str, str] = {}

    def account(self, key: str, email: str | None, stored_norm: str | None, *,
                org: str | None = None, age: int = 0, synced: bool = False) -> str:
        self.ids[key] = account_id = new_id()
        with self.engine.begin() as connection:
            connection.execute(insert(Account.__table__).values(
                id=account_id, org_id=org or self.acme, email=email, email_norm=stored_norm,
                email_verified=synced, status="active",
                source="synced" if synced else "invited",
                directory_id=self.directory if synced else None,
                created_at=T0 + timedelta(days=age), updated_at=T0))
        return account_id

    def link(self, key: str, stored_norm: str, sent_to: str | None) -> str:
        self.ids[key] = link_id = new_id()
        with self.engine.begin() as connection:
            connection.execute(insert(EmailedLink.__table__).values(
                id=link_id, kind="confirm_email", token_hash=new_id(), org_id=self.acme,
                email_norm=stored_norm, created_at=T0, expires_at=T0 + timedelta(days=1)))
            if sent_to is not None:
                cause = f"request_access.confirm:{link_id}"
                digest = hashlib.sha256(cause.encode()).hexdigest()[:32]
                connection.execute(insert(OutboxMessage.__table__).values(
                    id=new_id(), org_id=self.acme, message_id=f"<{digest}@scim-server>",
                    to=sent_to, template="request_access_confirm", subject="Confirm",
                    body_text="…", context={}, status="queued", attempts=0,
                    next_attempt_at=T0, created_at=T0))
        return link_id

    def failure(self, subject: str | None, stored_norm: str | None) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(ScimFailure.__table__).values(
                directory_id=self.directory, occurred_at=T0, method="POST", path="/Users",
                resource="Users", operation="create", status=400, subject=subject,
                subject_norm=stored_norm))

    def norms(self) -> dict[str, str | None]:
        with self.engine.connect() as connection:
            by_id = dict(connection.execute(select(Account.id, Account.email_norm)).all())
            by_id.update(connection.execute(select(EmailedLink.id, EmailedLink.email_norm)).all())
        return {key: by_id[value] for key, value in self.ids.items()}

    def subject_norms(self) -> list[str | None]:
        with self.engine.connect() as connection:
            return sorted(connection.execute(select(ScimFailure.subject_norm)).scalars(),
                          key=str)

    def reports(self) -> list[tuple[str | None, str | None, dict[str, Any]]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(
                AuditEvent.org_id, AuditEvent.target_id, AuditEvent.changes).where(
                AuditEvent.action == "user.duplicate_email").order_by(AuditEvent.id))
            return [(org, target, dict(changes)) for org, target, changes in rows]


@pytest.fixture
def world(engine: Engine) -> World:
    found = World(engine)
    # Written by the admin API (str.lower()): refolded.
    found.account("ilker", "İlker@acme.test", "i̇lker@acme.test")
    found.account("odos", "ΟΔΟΣ@acme.test", "οδος@acme.test")
    found.account("spaced", " Kim@acme.test ", " kim@acme.test ")
    # The same address in another organization is no clash.
    found.account("other_ilker", "İlker@acme.test", "i̇lker@acme.test", org=found.other)
    # Unchanged: ASCII, already folded by SCIM, erased.
    found.account("bob", "Bob@acme.test", "bob@acme.test")
    found.account("greek", "σοφος@acme.test", "σοφος@acme.test")  # a typed final "ς" stays
    found.account("erased", None, None)
    # The bug's duplicate: invited first (older), then SCIM made a second account.
    found.account("irem_invited", "İrem@acme.test", "i̇rem@acme.test", age=0)
    found.account("irem_scim", "İrem@acme.test", "irem@acme.test", age=5, synced=True)
    # Two old norms that fold to one free norm: the older account takes it.
    found.account("is_newer", "İΣ@acme.test", "i̇ς@acme.test", age=9)
    found.account("is_older", "İσ@acme.test", "i̇σ@acme.test", age=2)
    # Confirmation links: the address is read back from the email sent, where it is kept.
    found.link("link_sent", "i̇lker@acme.test", sent_to=" İlker@acme.test")
    found.link("link_greek_sent", "οδος@acme.test", sent_to="ΟΔΟΣ@acme.test")
    found.link("link_unsent", "i̇pek@acme.test", sent_to=None)
    found.link("link_greek_unsent", "οδος@acme.test", sent_to=None)
    found.failure("ΟΔΟΣ@acme.test", "οδος@acme.test")
    found.failure("İlker", "i̇lker")
    found.failure(None, None)
    return found


def test_upgrade_refolds_every_email_norm_and_reports_clashes(
        world: World, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        _to(engine, "0013")
    assert world.norms() == {
        "ilker": "ilker@acme.test", "odos": "οδοσ@acme.test", "spaced": "kim@acme.test",
        "other_ilker": "ilker@acme.test",
        "bob": "bob@acme.test", "greek": "σοφος@acme.test", "erased": None,
        "irem_invited": "i̇rem@acme.test",  # left as it was, and reported
        "irem_scim": "irem@acme.test",
        "is_newer": "i̇ς@acme.test", "is_older": "iσ@acme.test",
        "link_sent": "ilker@acme.test", "link_greek_sent": "οδοσ@acme.test",
        "link_unsent": "ipek@acme.test",  # "i̇" is what str.lower() makes of "İ" only
        "link_greek_unsent": "οδος@acme.test",  # a final "ς" may have been typed so
    }
    assert world.subject_norms() == [None, "ilker", "οδοσ@acme.test"]
    ids = world.ids
    assert world.reports() == [
        (world.acme, ids["irem_invited"], {
            "email": "İrem@acme.test", "email_norm": "i̇rem@acme.test",
            "folded": "irem@acme.test", "same_as": ids["irem_scim"]}),
        (world.acme, ids["is_newer"], {
            "email": "İΣ@acme.test", "email_norm": "i̇ς@acme.test",
            "folded": "iσ@acme.test", "same_as": ids["is_older"]}),
    ]
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert ids["irem_invited"] in warned and ids["is_newer"] in warned
    assert "docs/operations.md" in warned


def test_upgrade_in_batches_sees_every_row(world: World, engine: Engine) -> None:
    """Batches of two rows (keyset by id) reach the same result as one batch."""
    _to(engine, "0013", batch_size=2)
    assert world.norms()["ilker"] == "ilker@acme.test"
    assert world.norms()["is_older"] == "iσ@acme.test"
    assert len(world.reports()) == 2


def test_downgrade_restores_what_the_previous_version_looks_up_and_upgrade_is_repeatable(
        world: World, engine: Engine) -> None:
    _to(engine, "0013")
    _to(engine, "0012", down=True)
    norms = world.norms()
    # The previous version's admin side looks up str.lower(); its SCIM side casefold.fold.
    assert (norms["ilker"], norms["odos"]) == ("i̇lker@acme.test", "οδος@acme.test")
    assert norms["irem_scim"] == "irem@acme.test" and norms["bob"] == "bob@acme.test"
    assert world.subject_norms() == [None, "i̇lker", "οδος@acme.test"]
    _to(engine, "0013")
    assert world.norms()["ilker"] == "ilker@acme.test"
    assert world.norms()["irem_invited"] == "i̇rem@acme.test"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")
                                  ).scalar() == "0013"


def test_an_upgraded_database_finds_the_person_from_either_side(world: World,
                                                                engine: Engine) -> None:
    from scim_server.services.access_requests import find_account

    _to(engine, "0013")
    with Session(engine) as session:
        assert find_account(session, world.acme, email="İlker@acme.test").id == \
            world.ids["ilker"]
        assert find_account(session, world.acme, email="İrem@acme.test").id == \
            world.ids["irem_scim"]
