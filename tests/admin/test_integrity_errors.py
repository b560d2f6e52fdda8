"""Admin API: only unique violations are 409 problems; other integrity failures are 500s."""
from __future__ import annotations

import logging

import pytest

from scim_server.services import admin_groups
from tests.scim.test_integrity_errors import _write_orphan_membership


def test_admin_foreign_key_failure_is_a_logged_500_problem(admin, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(admin_groups, "create_group", _write_orphan_membership)
    with caplog.at_level(logging.ERROR):
        response = admin.post("/groups", json={"name": "Ops"},
                              headers={"X-Request-Id": "req-fk-2"})
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "req-fk-2" in response.get_json()["detail"]
    assert any("req-fk-2" in record.getMessage() for record in caplog.records)


def test_admin_unique_violation_is_a_409_problem(admin, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.setattr(admin_groups, "_check_name_free", lambda *a, **k: None)
    assert admin.post("/groups", json={"name": "Ops"}).status_code == 201
    response = admin.post("/groups", json={"name": "ops"})
    assert response.status_code == 409
    assert response.headers["Content-Type"].startswith("application/problem+json")
