"""Provisioning health under real servers: two gunicorn workers count into the same rows
without losing an increment, and `SCIM_HEALTH_RECORDING=false` records nothing."""
from __future__ import annotations

import http.client
import json
import threading
import time

import pytest
from sqlalchemy import func, select

from scim_server.models import ScimFailure, ScimRequestCount

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def _post(port: int, path: str, token: str, body: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=json.dumps(body), headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def _counts(db_session, directory_id: str) -> dict[str, int]:
    db_session.rollback()
    return dict(db_session.execute(
        select(ScimRequestCount.outcome, func.sum(ScimRequestCount.count))
        .where(ScimRequestCount.directory_id == directory_id)
        .group_by(ScimRequestCount.outcome)).all())


@pytest.mark.slow
def test_workers_count_every_request_into_the_same_rows(start_server, tenant, db_session):
    server = start_server("--workers", "2", "--threads", "4",
                          env={"SCIM_HEALTH_FLUSH_SECONDS": "0.2"})
    path = f"/scim/v2/directories/{tenant.directory_id}/Users"
    threads, per_thread = 6, 5
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def client(number: int) -> None:
        barrier.wait()
        for n in range(per_thread):
            # Every third userName repeats the one before it: a 409 and a failure row.
            name = f"u{number}-{n - 1 if n % 3 == 2 else n}@acme.test"
            statuses.append(_post(server.port, path, tenant.scim_token,
                                  {"schemas": [USER_SCHEMA], "userName": name}))

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    expected = {"success": statuses.count(201), "409": statuses.count(409)}
    assert sum(expected.values()) == threads * per_thread and expected["409"] == threads
    deadline = time.monotonic() + 20  # the idle workers' backstop writes within 6 s
    while _counts(db_session, tenant.directory_id) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _counts(db_session, tenant.directory_id) == expected
    assert db_session.scalar(select(func.count()).select_from(ScimFailure)) == threads
    pids = {line["pid"] for line in server.request_lines() if "Users" in line["route"]}
    assert len(pids) == 2, "both workers answered"


def test_nothing_is_recorded_when_recording_is_off(make_ops_app, tenant, db_session):
    app = make_ops_app(health_recording=False)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tenant.scim_token}"}
    body = {"schemas": [USER_SCHEMA], "userName": "off@acme.test"}
    for expected in (201, 409):
        response = client.post(f"/scim/v2/directories/{tenant.directory_id}/Users", json=body,
                               headers=headers)
        assert response.status_code == expected
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(ScimFailure)) == 0
    assert "scim_server.health_buffer" not in app.extensions
