"""`outbox`: every email with its delivery state, and a retry for dead ones."""
from __future__ import annotations

from typing import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import Tenant
from tests.admin.conftest import problem
from tests.admin.test_openapi import CheckedClient
from tests.smtp_support import SmtpServer, deliver_all


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def checked(client: FlaskClient, tenant: Tenant) -> CheckedClient:
    return CheckedClient(client, tenant, client.get("/admin/v1/openapi.json").get_json())


def test_states_filters_and_a_retry_after_dead(app: Flask, checked: CheckedClient,
                                               smtp: SmtpServer) -> None:
    checked.post("/invitations", json={"emails": ["ok@example.test", "Bounce@Example.test"]})
    queued = checked.get("/outbox").get_json()
    assert queued["meta"]["total"] == 2
    assert {(m["to"], m["status"], m["attempts"]) for m in queued["data"]} == {
        ("ok@example.test", "queued", 0), ("Bounce@Example.test", "queued", 0)}
    assert all(m["template"] == "invitation" and m["subject"] for m in queued["data"])
    assert "body_text" not in queued["data"][0]  # bodies carry the invitation token
    smtp.handler.refuse_addresses["bounce@example.test"] = "550 5.1.1 Mailbox unavailable"
    deliver_all(app, smtp)
    [sent] = checked.get("/outbox?status=sent").get_json()["data"]
    assert sent["to"] == "ok@example.test" and sent["sent_at"] and sent["attempts"] == 1
    [dead] = checked.get("/outbox?status=dead").get_json()["data"]
    assert dead["to"] == "Bounce@Example.test" and "550" in dead["last_error"]
    assert dead["attempts"] == 1 and dead["sent_at"] is None
    assert checked.get("/invitations?status=invitation_pending").get_json()["meta"][
        "total"] == 2
    statuses = {i["email"]: i["email_status"] for i in
                checked.get("/invitations").get_json()["data"]}
    assert statuses == {"ok@example.test": "sent", "Bounce@Example.test": "dead"}
    assert checked.get("/outbox?to=bounce@example.test").get_json()["meta"]["total"] == 1
    assert checked.get("/outbox?template=access_granted").get_json()["meta"]["total"] == 0
    assert checked.get(f"/outbox/{dead['id']}").get_json()["status"] == "dead"
    problem(checked.post(f"/outbox/{sent['id']}/retry", json={}), 409)
    smtp.handler.refuse_addresses.clear()
    retried = checked.post(f"/outbox/{dead['id']}/retry", json={})
    assert retried.status_code == 200
    assert (retried.get_json()["status"], retried.get_json()["attempts"]) == ("queued", 0)
    deliver_all(app, smtp)
    assert checked.get(f"/outbox/{dead['id']}").get_json()["status"] == "sent"
    bounced = [r for r in smtp.received if r.recipients == ["Bounce@Example.test"]]
    assert [r.message_id for r in bounced] == [dead["message_id"]]
    actions = [e["action"] for e in checked.get("/audit-log?action=outbox.*").get_json()["data"]]
    assert actions == ["outbox.requeued"]


def test_paging_and_bad_queries(checked: CheckedClient) -> None:
    checked.post("/invitations", json={"emails": [f"p{i}@example.test" for i in range(5)],
                                       "send_email": True})
    first = checked.get("/outbox?limit=2").get_json()
    assert len(first["data"]) == 2 and first["meta"]["total"] == 5
    seen = [m["id"] for m in first["data"]]
    link = first["links"]["next"]
    while link:
        page = checked.get(link.replace("http://scim.test", "")).get_json()
        seen += [m["id"] for m in page["data"]]
        link = page["links"]["next"]
    assert len(seen) == len(set(seen)) == 5
    problem(checked.get("/outbox?status=lost"), 400)
    problem(checked.get("/outbox/unknown"), 404)
    problem(checked.post("/outbox/unknown/retry", json={}), 404)
