"""New users in batches (services/user_batches.py): which of a run may be created as new
accounts, and that creating them together stores what `provision_user` would."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from scim_server.models import Account, AuditEvent, Directory, DirectoryUserValue
from scim_server.services import directory_users, tenancy, user_batches
from scim_server.services.actors import Actor
from scim_server.services.directory_users import UserData


@pytest.fixture
def directory(app, db_session) -> Directory:
    org = tenancy.create_organization(db_session, "Acme", Actor.cli())
    return tenancy.create_directory(db_session, org, "Entra", "entra", Actor.cli())


def data(name: str, email: str | None = None, **kw) -> UserData:
    return UserData(user_name=name, attributes={"userName": name}, email=email,
                    values={"emails": [{"value": email, "type": "work"}]} if email else {}, **kw)


def test_every_new_user_qualifies(db_session, directory):
    users = [data(f"u{n}", f"u{n}@x.test") for n in range(5)] + [data("no-email")]
    assert user_batches.fresh_prefix(db_session, directory, users) == 6


@pytest.mark.parametrize("clash, expected", [
    (data("TAKEN"), 2),                          # userName taken, whatever its case
    (data("free", "Invited@X.test"), 2),         # an account of the org has this email
    (data("U0"), 2),                             # repeats an earlier userName of the run
    (data("other", "u1@x.test"), 2),             # repeats an earlier email of the run
])
def test_the_run_stops_before_the_first_user_that_is_not_new(db_session, directory, clash,
                                                            expected):
    directory_users.create_user(db_session, directory, data("taken"), Actor.cli())
    db_session.add(Account(org_id=directory.org_id, email="invited@x.test",
                           email_norm="invited@x.test", source="invited"))
    db_session.flush()
    users = [data("u0", "u0@x.test"), data("u1", "u1@x.test"), clash, data("u3")]
    assert user_batches.fresh_prefix(db_session, directory, users) == expected


def test_more_users_than_one_lookup_holds(db_session, directory):
    many = user_batches.LOOKUP_CHUNK * 2 + 7
    directory_users.create_user(db_session, directory, data(f"u{many - 3}"), Actor.cli())
    users = [data(f"u{n}", f"u{n}@x.test") for n in range(many)]
    assert user_batches.fresh_prefix(db_session, directory, users) == many - 3


def test_created_together_as_one_at_a_time(db_session, directory):
    """The same rows `provision_user` writes: account, resource, value rows, audit event."""
    alone = directory_users.create_user(db_session, directory,
                                        data("alone", "alone@x.test", active=False), Actor.cli())
    batch = user_batches.create_fresh(db_session, directory,
                                      [data("one", "one@x.test", active=False),
                                       data("two", "two@x.test")], Actor.cli())
    db_session.flush()
    db_session.expire_all()
    columns = ("org_id", "source", "status", "directory_id", "email_verified",
               "deprovisioned_by")
    reference = db_session.get(Account, alone.id)
    first = db_session.get(Account, batch[0].id)
    assert {c: getattr(first, c) for c in columns} == {c: getattr(reference, c)
                                                       for c in columns}
    assert first.deactivated_at is not None and first.display_name == "one"
    assert db_session.get(Account, batch[1].id).status == "active"
    assert [u.version for u in batch] == [1, 1]
    assert db_session.scalar(select(func.count()).select_from(DirectoryUserValue)
                             .where(DirectoryUserValue.user_id.in_([u.id for u in batch]))) == 2
    events = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.target_id.in_([u.id for u in batch]))).all()
    assert events == ["scim.user.created", "scim.user.created"]
