"""Two clicks of one emailed link at once, against real server processes, decide once.

PostgreSQL with two gunicorn workers: each thread opens the review page (its CSRF field
and cookie), waits at a barrier, and presses "Approve". The link is spent by one
conditional UPDATE, so exactly one click decides and the other is told the link was used.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Callable

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from scim_server import db
from scim_server.models import Account, AuditEvent
from tests.ops.conftest import ServerProcess, start_server  # noqa: F401
from tests.public.request_pages import Visitor, emails, link_in, requests_of

RESULT = re.compile(r'data-result="([^"]+)"')


def test_two_clicks_at_once_decide_once(
        app: Flask, client: FlaskClient, backend: str, make_account: Callable[..., str],
        make_product: Callable[..., dict[str, Any]],
        start_server: Callable[..., ServerProcess]) -> None:  # noqa: F811
    if backend != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL")
    jira = str(make_product("jira", "Jira")["id"])
    boss = make_account("boss@acme.test")
    make_account("sleepy@acme.test", status="deactivated")
    with app.app_context():
        session = db.new_session(app)
        found = session.get_one(Account, boss)
        found.is_org_admin, found.email_verified = True, True
        session.commit()
        session.close()
    visitor = Visitor(client)
    visitor.ask(visitor.confirm_link(app, jira, "sleepy@acme.test"))
    [request] = requests_of(app)
    url = link_in(emails(app, "access_request_filed", "boss@acme.test")[0],
                  f"/access-requests/{request.id}")
    server = start_server("--workers", "2")
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def click() -> None:
        with requests.Session() as browser:
            page = browser.get(server.base_url + url, timeout=30)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf is not None, page.text
            barrier.wait(timeout=30)
            path, token = url.split("?token=")
            done = browser.post(f"{server.base_url}{path}/approve", timeout=30,
                                data={"csrf_token": csrf.group(1), "token": token,
                                      "role": "user"})
        found = RESULT.search(done.text)
        answers.append((done.status_code, found.group(1) if found else done.text[:200]))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [(200, "approved"), (409, "used")], answers
    assert [r.status for r in requests_of(app)] == ["approved"]
    with app.app_context():
        session = db.new_session(app, writes=False)
        approvals = session.query(AuditEvent).filter(
            AuditEvent.action == "access_request.approved").count()
        session.close()
    assert approvals == 1
