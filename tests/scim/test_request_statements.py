"""Statements per request on the hot paths (issue 15): each one the write or read needs,
no more, with every guarantee kept (the audit event, the value rows, the row lock).

Expected lists come from what each request must do, not from the code: POST checks the
userName and the email, inserts the account, the resource, its value rows and the audit
event; a user just created is in no group, so it does not walk group memberships. PUT
locks the row (reading the account with it), checks the userName only when it changes,
updates account and resource, audits, and renders `groups`; the new version is what the UPDATE computed under
the lock, not read back.
SQLite's `BEGIN` is not counted (PostgreSQL's driver sends none), nor is authentication:
the test app turns the token cache off (so a revocation test sees it at once), which makes
it read the token and its directory where production reads the revocation stamp.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from scim_server import db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
AUTHENTICATION = ("SELECT scim_tokens.", "SELECT directories.", "SELECT credential_stamps.")


def _body(n: int, **changes: Any) -> dict[str, Any]:
    return {"schemas": [USER], "userName": f"user{n}@example.com", "externalId": f"ext-{n}",
            "name": {"givenName": f"G{n}", "familyName": f"F{n}"},
            "emails": [{"value": f"user{n}@example.com", "type": "work", "primary": True}],
            **changes}


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if not statement.startswith(("BEGIN", *AUTHENTICATION)):
            seen.append(" ".join(statement.split()[:3]))

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", capture)
    yield seen
    event.remove(engine, "before_cursor_execute", capture)


def _kinds(seen: list[str]) -> list[str]:
    return sorted(seen)


def test_post_users_writes_what_it_must_and_walks_no_groups(scim, statements):
    scim.post("/Users", json=_body(0))  # the token is verified and cached on first use
    statements.clear()
    response = scim.post("/Users", json=_body(1))

    assert response.status_code == 201
    assert response.get_json().get("groups", []) == []
    assert _kinds(statements) == sorted([
        "SELECT 'name' AS",  # userName free? an account with this email to link? (one query)
        "INSERT INTO accounts", "INSERT INTO directory_users",
        "INSERT INTO directory_user_values",     # one statement for every value row
        "INSERT INTO audit_events",              # in the same transaction
    ]), statements


def test_put_users_does_not_read_the_new_version_back(scim, statements):
    created = scim.post("/Users", json=_body(2)).get_json()
    statements.clear()
    response = scim.put(f"/Users/{created['id']}", json=_body(2, displayName="Renamed"))

    assert response.status_code == 200
    assert not [s for s in statements if s.startswith("SELECT directory_users.version")]
    assert _kinds(statements) == sorted([
        "SELECT accounts.id, accounts.org_id,",    # the user joined to its account, locked
        "UPDATE accounts SET", "UPDATE directory_users SET",
        "INSERT INTO audit_events",                # in the same transaction
        "WITH RECURSIVE account_groups(group_id,",  # `groups`, for the answer
    ]), statements
    assert response.headers["ETag"] == 'W/"2"'
    again = scim.get(f"/Users/{created['id']}")
    assert again.headers["ETag"] == 'W/"2"' and again.get_json()["meta"]["version"] == 'W/"2"'


def test_put_checks_the_user_name_only_when_it_changes(scim, statements):
    first = scim.post("/Users", json=_body(20)).get_json()
    scim.post("/Users", json=_body(21))
    statements.clear()
    renamed = scim.put(f"/Users/{first['id']}", json=_body(20, userName="fresh@example.com"))
    assert renamed.status_code == 200
    assert "SELECT directory_users.id FROM" in statements, statements
    taken = scim.put(f"/Users/{first['id']}", json=_body(20, userName="USER21@example.com"))
    assert taken.status_code == 409 and taken.get_json()["scimType"] == "uniqueness"


def test_a_linked_account_in_a_group_still_shows_its_groups(scim, statements):
    """Only a new account skips the membership walk: the response of a POST that walks
    nothing must still be right, so a user re-created after deletion (its account linked
    again) reads its groups as usual."""
    created = scim.post("/Users", json=_body(3)).get_json()
    scim.delete(f"/Users/{created['id']}")
    statements.clear()
    again = scim.post("/Users", json=_body(3))
    assert again.status_code == 201 and again.get_json()["id"] == created["id"]
    assert [s for s in statements if s.startswith("WITH RECURSIVE")], statements


@pytest.fixture
def transaction_log(app):
    """Every statement, BEGIN included, and each COMMIT, in order."""
    seen: list[str] = []

    def statement(_conn, _cursor, text, *_args):
        seen.append(" ".join(text.split()[:3]))

    def commit(_conn):
        seen.append("COMMIT")

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    yield seen
    event.remove(engine, "before_cursor_execute", statement)
    event.remove(engine, "commit", commit)


def test_a_write_authenticates_before_its_transaction_begins(scim, transaction_log, backend):
    """The token check reads outside the write transaction, so SQLite's write lock (and
    the writer gate) is taken at the write's own first query, not at authentication."""
    if backend != "sqlite":
        pytest.skip("only SQLite sends BEGIN IMMEDIATE")
    response = scim.post("/Users", json=_body(10))
    assert response.status_code == 201
    begin = transaction_log.index("BEGIN IMMEDIATE")
    authentication = [i for i, s in enumerate(transaction_log) if s.startswith(AUTHENTICATION)]
    assert authentication and max(authentication) < begin, transaction_log


def test_a_write_commits_before_its_answer_is_rendered(scim, transaction_log):
    """PUT renders `groups` (a read) after the COMMIT: no lock is held while the answer is
    built (RFC 7644 §3.5.1 asks for the resource back, not for it inside the transaction)."""
    created = scim.post("/Users", json=_body(11)).get_json()
    transaction_log.clear()
    response = scim.put(f"/Users/{created['id']}", json=_body(11, displayName="After"))
    assert response.status_code == 200 and response.get_json()["displayName"] == "After"
    update = next(i for i, s in enumerate(transaction_log)
                  if s.startswith("UPDATE directory_users"))
    commit = transaction_log.index("COMMIT", update)
    groups = next(i for i, s in enumerate(transaction_log) if s.startswith("WITH RECURSIVE"))
    assert update < commit < groups, transaction_log


def test_a_read_runs_in_autocommit(scim, transaction_log):
    """GET sends its reads and nothing else: no BEGIN, COMMIT or ROLLBACK statement
    (each read is its own transaction, as on PostgreSQL's autocommit readers)."""
    created = scim.post("/Users", json=_body(12)).get_json()
    scim.get(f"/Users/{created['id']}")  # the token is verified and cached on first use
    transaction_log.clear()
    response = scim.get(f"/Users/{created['id']}")
    assert response.status_code == 200 and response.get_json()["userName"] == _body(12)[
        "userName"]
    assert transaction_log, "the reads themselves were seen"
    assert not [s for s in transaction_log
                if s.split()[0] in ("BEGIN", "COMMIT", "ROLLBACK")], transaction_log


def test_put_writes_only_the_columns_that_change(scim, app):
    """A sync cycle's PUT that renames a user sets the name's columns and the version,
    never columns whose value stays (the account's email, the resource's externalId)."""
    created = scim.post("/Users", json=_body(13)).get_json()
    updates: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE"):
            updates.append(statement)

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = scim.put(f"/Users/{created['id']}", json=_body(13, displayName="Renamed"))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert response.status_code == 200
    (accounts,) = [u for u in updates if u.startswith("UPDATE accounts")]
    (users,) = [u for u in updates if u.startswith("UPDATE directory_users")]
    assert "display_name=" in accounts.replace(" ", "") and "email" not in accounts, accounts
    assert "version=" in users.replace(" ", "") and "external_id" not in users, users
