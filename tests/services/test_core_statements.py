"""Hot-path statements on the session's connection (services/core_statements.py): they
see what the session has pending, and a Core UPDATE leaves nothing for the unit of work."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from scim_server.models import Account, DirectoryUser, Organization
from scim_server.services import core_statements, tenancy
from scim_server.services.actors import Actor


@pytest.fixture
def org(app, db_session) -> Organization:
    return tenancy.create_organization(db_session, "Acme", Actor.cli())


@pytest.fixture
def updates(app, db_session):
    seen: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE"):
            seen.append(" ".join(statement.split()))

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    yield seen
    event.remove(engine, "before_cursor_execute", capture)


def _account(org: Organization, email: str) -> Account:
    return Account(org_id=org.id, email=email, email_norm=email, source="invited",
                   display_name="Ada", status="active")


def test_a_read_sees_what_the_session_has_not_flushed(db_session, org):
    db_session.add(_account(org, "ada@example.com"))  # pending, not flushed
    emails = select(Account.email).where(Account.org_id == org.id)
    assert [row.email for row in core_statements.rows(db_session, emails)] == [
        "ada@example.com"]
    assert core_statements.scalar(db_session, emails) == "ada@example.com"


def test_update_loaded_writes_only_what_changes_and_leaves_the_object_clean(
        db_session, org, updates):
    account = _account(org, "ada@example.com")
    db_session.add(account)
    db_session.commit()

    changed = core_statements.update_loaded(db_session, account, {
        "display_name": "Ada Lovelace", "email": "ada@example.com"})

    assert changed == {"display_name": "Ada Lovelace"}
    (statement,) = updates
    assert "display_name" in statement and "email" not in statement, statement
    assert account.display_name == "Ada Lovelace"
    assert account not in db_session.dirty, "nothing is left for the unit of work"
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(Account, account.id).display_name == "Ada Lovelace"


def test_update_loaded_with_nothing_changed_sends_nothing(db_session, org, updates):
    account = _account(org, "ada@example.com")
    db_session.add(account)
    db_session.commit()
    assert core_statements.update_loaded(db_session, account, {"display_name": "Ada"}) == {}
    assert updates == []


def test_update_loaded_increments_in_the_database(db_session, org, updates):
    directory = tenancy.create_directory(db_session, org, "Entra", "entra", Actor.cli())
    account = _account(org, "ada@example.com")
    db_session.add(account)
    db_session.flush()
    user = DirectoryUser(id=account.id, directory_id=directory.id, user_name="ada",
                         user_name_norm="ada", version=4, attributes={"userName": "ada"})
    db_session.add(user)
    db_session.commit()

    db_session.execute(update(DirectoryUser).where(DirectoryUser.id == user.id)
                       .values(version=6).execution_options(synchronize_session=False))
    updates.clear()  # another writer moved it; the object still says 4
    core_statements.update_loaded(db_session, user, {"user_name": "ada"},
                                  increment=("version",))

    assert len(updates) == 1 and "version" in updates[0]
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(DirectoryUser, account.id).version == 7, "counted from the row"
