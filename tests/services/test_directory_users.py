"""Provisioned users as accounts (shared/DESIGN.md): linking, uniqueness, lifecycle."""
from __future__ import annotations

import pytest

from scim_server.models import Account, Directory, Organization
from scim_server.services import directory_users, passwords, tenancy
from scim_server.services.actors import Actor
from scim_server.services.directory_users import UserData
from scim_server.services.errors import Conflict, NotFound, VersionMismatch


@pytest.fixture
def directory(app, db_session) -> Directory:
    org = tenancy.create_organization(db_session, "Acme", Actor.cli())
    return tenancy.create_directory(db_session, org, "Entra", "entra", Actor.cli())


def data(name: str = "ada", email: str | None = "ada@x.test", **kw) -> UserData:
    return UserData(user_name=name, attributes={"userName": name}, email=email,
                    values={"emails": [{"value": email, "type": "work"}]} if email else {}, **kw)


def test_create_makes_a_synced_account_with_the_same_id(db_session, directory):
    user = directory_users.create_user(db_session, directory, data(), Actor.cli())
    account = db_session.get(Account, user.id)
    assert account.source == "synced" and account.directory_id == directory.id
    assert account.email_verified and account.email_norm == "ada@x.test"


def test_user_name_taken_and_email_managed_elsewhere(db_session, directory):
    directory_users.create_user(db_session, directory, data(), Actor.cli())
    with pytest.raises(Conflict, match="userName"):
        directory_users.create_user(db_session, directory, data("ADA", None), Actor.cli())
    org = db_session.get(Organization, directory.org_id)
    other = tenancy.create_directory(db_session, org, "Okta", "okta", Actor.cli())
    with pytest.raises(Conflict, match="Entra"):
        directory_users.create_user(db_session, other, data("someone"), Actor.cli())


def test_get_user_is_scoped_to_the_directory(db_session, directory):
    user = directory_users.create_user(db_session, directory, data(), Actor.cli())
    org = db_session.get(Organization, directory.org_id)
    other = tenancy.create_directory(db_session, org, "Okta", "okta", Actor.cli())
    with pytest.raises(NotFound):
        directory_users.get_user(db_session, other.id, user.id)


def test_replace_checks_the_version_and_deactivates(db_session, directory):
    user = directory_users.create_user(db_session, directory, data(), Actor.cli())
    with pytest.raises(VersionMismatch):
        directory_users.replace_user(db_session, directory, user, data(active=False),
                                     Actor.cli(), expected_version=9)
    directory_users.replace_user(db_session, directory, user, data(active=False), Actor.cli(),
                                 expected_version=1)
    assert user.version == 2 and db_session.get(Account, user.id).status == "deactivated"


def test_password_is_hashed(db_session, directory):
    user = directory_users.create_user(db_session, directory,
                                       data(password_hash=passwords.hash_password("pw-1")),
                                       Actor.cli())
    assert passwords.verify_password("pw-1", user.password_hash)
    assert not passwords.verify_password("pw-2", user.password_hash)


def test_delete_keeps_the_account(db_session, directory):
    user = directory_users.create_user(db_session, directory, data(), Actor.cli())
    directory_users.delete_user(db_session, directory, user, Actor.cli())
    account = db_session.get(Account, user.id)
    assert account.status == "deactivated" and account.directory_id is None
