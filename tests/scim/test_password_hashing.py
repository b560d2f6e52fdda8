"""Passwords are hashed before the write transaction opens (issue 11, finding 8).

scrypt takes tens of milliseconds a password on purpose. Hashed inside the transaction,
a Bulk of 200 password changes held SQLite's write lock for 44 s (another tenant's
POST got a 503). Each hash here checks, as it runs, that this request holds no lock: on
SQLite another connection can take the write lock at once; on PostgreSQL no other
session of the database is inside a transaction.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from scim_server import db
from scim_server.models import DirectoryUser
from scim_server.services import passwords

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


@pytest.fixture
def hashes_under_lock(app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
                      ) -> Iterator[list[bool]]:
    """One entry a password hashed: True when a write transaction was open at the time."""
    probe = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          poolclass=NullPool)
    seen: list[bool] = []
    original = passwords.hash_password

    def locked_now() -> bool:
        with probe.connect() as connection:
            if probe.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout=0")
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                except Exception:  # noqa: BLE001 - "database is locked"
                    return True
                connection.exec_driver_sql("ROLLBACK")
                return False
            return bool(connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")))

    def watched(password: str) -> str:
        seen.append(locked_now())
        return original(password)

    monkeypatch.setattr(passwords, "hash_password", watched)
    yield seen
    probe.dispose()


def _stored_hash(app: Flask, user_id: str) -> str:
    session = db.new_session(app, snapshot=True)
    try:
        return str(session.get(DirectoryUser, user_id).password_hash)
    finally:
        session.close()


def _user(scim, name: str) -> str:  # type: ignore[no-untyped-def]
    return scim.post("/Users", json={"schemas": [USER], "userName": name}).get_json()["id"]


def test_bulk_password_changes_hash_with_no_lock_held(app: Flask, scim,
                                                      hashes_under_lock: list[bool]) -> None:
    ids = [_user(scim, f"user{i}") for i in range(3)]
    operations = [{"method": "POST", "path": "/Users", "bulkId": "n",
                   "data": {"schemas": [USER], "userName": "new", "password": "pw-new"}}]
    operations += [{"method": "PUT", "path": f"/Users/{i}",
                    "data": {"schemas": [USER], "userName": f"user{n}", "password": f"pw-{n}"}}
                   for n, i in enumerate(ids[:2])]
    operations.append({"method": "PATCH", "path": f"/Users/{ids[2]}", "data": {
        "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "password",
                                               "value": "pw-2"}]}})
    response = scim.post("/Bulk", json={"schemas": [BULK], "Operations": operations})
    assert [op["status"] for op in response.get_json()["Operations"]] == [
        "201", "200", "200", "200"]
    assert len(hashes_under_lock) == 4 and not any(hashes_under_lock), hashes_under_lock
    for n, user_id in enumerate(ids):
        assert passwords.verify_password(f"pw-{n}", _stored_hash(app, user_id))


@pytest.mark.parametrize("method", ["PUT", "PATCH", "POST"])
def test_single_writes_hash_with_no_lock_held(app: Flask, scim, method: str,
                                              hashes_under_lock: list[bool]) -> None:
    user_id = _user(scim, "ada")
    if method == "PUT":
        response = scim.put(f"/Users/{user_id}", json={"schemas": [USER], "userName": "ada",
                                                       "password": "s3cret"})
    elif method == "PATCH":
        response = scim.patch(f"/Users/{user_id}", json={"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "value": {"password": "s3cret"}}]})
    else:
        response = scim.post("/Users", json={"schemas": [USER], "userName": "bob",
                                             "password": "s3cret"})
        user_id = response.get_json()["id"]
    assert response.status_code in (200, 201)
    assert hashes_under_lock == [False]
    assert passwords.verify_password("s3cret", _stored_hash(app, user_id))


def test_candidates_are_every_password_a_body_can_set() -> None:
    from scim_server.scim.password_hashes import candidates

    bulk = {"Operations": [
        {"data": {"userName": "x", "password": "a"}},
        {"data": {"Operations": [{"op": "replace", "path": "PASSWORD", "value": "b"},
                                 {"op": "add", "value": {
                                     "urn:ietf:params:scim:schemas:core:2.0:User:password":
                                         "c"}},
                                 {"op": "replace", "path": "title", "value": "not one"}]}}]}
    assert sorted(candidates(bulk)) == ["a", "b", "c"]
