"""Only unique violations are conflicts; other integrity failures are server faults.

RFC 7644 §3.12: 409 `uniqueness` tells a client that a value it sent is taken, which it
can fix; a foreign-key or NOT NULL failure is the server's own bug and must surface as a
500 an operator can find from the request id, never as a conflict the client retries.
"""
from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import insert

from scim_server import db
from scim_server.models import GroupMember
from scim_server.services import directory_users, user_batches

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def _write_orphan_membership(*_args: Any, **_kwargs: Any) -> Any:
    """A buggy service: a membership row of a group that does not exist."""
    db.session().execute(insert(GroupMember).values(group_id="no-such-group", member_id="m",
                                                    member_type="User"))
    db.session().flush()


def _break_user_creation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways a user is created (a new account, or one linked) write the orphan."""
    monkeypatch.setattr(directory_users, "provision_user", _write_orphan_membership)
    monkeypatch.setattr(user_batches, "create_fresh", _write_orphan_membership)


def test_scim_foreign_key_failure_is_a_logged_500_with_the_request_id(
        scim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    _break_user_creation(monkeypatch)
    with caplog.at_level(logging.ERROR):
        response = scim.post("/Users", json={"schemas": [USER], "userName": "ada"},
                             headers={"X-Request-Id": "req-fk-1"})
    body = response.get_json()
    assert response.status_code == 500 and body["status"] == "500"
    assert "scimType" not in body
    assert "req-fk-1" in body["detail"]
    assert any("req-fk-1" in record.getMessage() and record.exc_info
               for record in caplog.records)


def test_scim_unique_violation_is_409_uniqueness(scim, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    # Two creates that both passed the name check (a race): the database decides.
    monkeypatch.setattr(directory_users, "_ensure_user_name_free", lambda *a, **k: None)
    monkeypatch.setattr(user_batches, "_taken", lambda *a, **k: (set(), set()))
    assert scim.post("/Users", json={"schemas": [USER], "userName": "ada"}).status_code == 201
    response = scim.post("/Users", json={"schemas": [USER], "userName": "ADA"})
    assert response.status_code == 409
    assert response.get_json()["scimType"] == "uniqueness"


def test_bulk_operation_with_a_server_fault_fails_the_request(
        scim, monkeypatch: pytest.MonkeyPatch) -> None:
    _break_user_creation(monkeypatch)
    response = scim.post("/Bulk", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "POST", "path": "/Users", "bulkId": "a",
                        "data": {"schemas": [USER], "userName": "ada"}}]})
    assert response.status_code == 500
