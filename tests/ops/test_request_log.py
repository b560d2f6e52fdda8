"""One JSON log line per request, and a request id accepted, echoed and stored on audit events."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from scim_server.models import AuditEvent
from scim_server.ops.request_log import accepted_request_id

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def request_lines(stderr: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "scim_server.requests"]


@pytest.mark.parametrize("offered", ["abc", "a" * 100, "trace 42/x:y", "~!@#$%^&*()"])
def test_a_printable_request_id_of_at_most_100_characters_is_kept(offered):
    assert accepted_request_id(offered) == offered


@pytest.mark.parametrize("offered", [None, "", "a" * 101, " leading-space", "tab\tinside",
                                     "caf\u00e9", "scimsrv_dt_looks-like-a-real-token"])
def test_anything_else_gets_a_fresh_id(offered):
    fresh = accepted_request_id(offered)
    assert re.fullmatch(r"[0-9a-f]{32}", fresh)
    assert fresh != accepted_request_id(offered)


def test_the_id_is_echoed_or_generated(client):
    sent = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a"})
    assert sent.headers["X-Request-Id"] == "lb-7f3a"
    made = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-Id"] != made
    assert client.get("/no/such/page").headers["X-Request-Id"]


def test_scim_and_admin_changes_carry_the_request_id_on_their_audit_events(
        client, scim, tenant, db_session):
    created = scim.post("/Users", json={"schemas": [USER_SCHEMA], "userName": "bjensen"},
                        headers={"X-Request-Id": "entra-req-1"})
    assert created.status_code == 201
    site = client.post(f"{tenant.admin_base}/sites", json={"name": "Second site"},
                       headers={**tenant.admin_headers, "X-Request-Id": "script-req-2"})
    assert site.status_code == 201
    events = db_session.execute(select(AuditEvent.request_id, AuditEvent.actor_type)).all()
    assert ("entra-req-1", "directory_token") in events
    assert ("script-req-2", "admin_key") in events


def test_one_line_per_request_with_route_status_tenant_and_duration(client, scim, tenant,
                                                                    capsys):
    capsys.readouterr()
    scim.get("/Users/no-such-user", headers={"X-Request-Id": "req-scim"})
    client.get(f"{tenant.admin_base}/users", headers={**tenant.admin_headers,
                                                      "X-Request-Id": "req-admin"})
    client.get("/no/such/page?secret=1", headers={"X-Request-Id": "req-404"})
    lines = {line["request_id"]: line for line in request_lines(capsys.readouterr().err)}
    assert len([k for k in lines if k.startswith("req-")]) == 3
    scim_line = lines["req-scim"]
    assert scim_line["route"] == "/scim/v2/directories/<directory_id>/Users/<user_id>"
    assert scim_line["method"] == "GET" and scim_line["status"] == 404
    assert scim_line["directory_id"] == tenant.directory_id and scim_line["org_id"] is None
    assert isinstance(scim_line["duration_ms"], float) and scim_line["duration_ms"] >= 0
    assert "no-such-user" not in json.dumps(scim_line)  # the rule, never the raw path
    admin_line = lines["req-admin"]
    assert admin_line["route"] == "/admin/v1/orgs/<org_id>/users"
    assert admin_line["status"] == 200 and admin_line["org_id"] == tenant.org_id
    assert lines["req-404"]["route"] == "<unmatched>" and lines["req-404"]["status"] == 404
    assert "secret" not in json.dumps(lines["req-404"])


def test_log_lines_written_inside_a_request_carry_its_id(make_ops_app, capsys):
    other = make_ops_app()

    @other.get("/__ops_test_logs_inside_a_request")
    def _logs() -> str:
        other.logger.warning("something noteworthy")
        return "ok"

    capsys.readouterr()
    other.test_client().get("/__ops_test_logs_inside_a_request",
                            headers={"X-Request-Id": "req-inner"})
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()
               if line.startswith("{")]
    warning = next(e for e in entries if e["message"] == "something noteworthy")
    assert warning["request_id"] == "req-inner" and warning["level"] == "WARNING"
