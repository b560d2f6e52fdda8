"""On SQLite a query sent as POST (`.search`, RFC 7644 §3.4.3) reads beside a writer
instead of queueing for the write lock (issue 11, finding 7)."""
from __future__ import annotations

import sqlite3
import threading
from typing import Any, Iterator

import pytest
from flask import Flask

from conftest import ScimClient
from scim_server import db

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
BOUND_SECONDS = 5.0  # the server waits up to 30 s for the lock (busy_timeout)


@pytest.fixture
def write_lock(app: Flask, backend: str) -> Iterator[None]:
    """Another connection holds SQLite's write lock (`BEGIN IMMEDIATE`) meanwhile."""
    if backend != "sqlite":
        pytest.skip("SQLite's single write lock; PostgreSQL readers never take one")
    path = app.extensions[db.EXTENSION_KEY][0].url.database
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def answered_within(scim: ScimClient, path: str, body: dict[str, Any]) -> Any:
    """POST `body`; the response, or None when it is still waiting after the bound."""
    answers: list[Any] = []
    worker = threading.Thread(target=lambda: answers.append(scim.post(path, json=body)),
                              daemon=True)
    worker.start()
    worker.join(BOUND_SECONDS)
    return answers[0] if answers else None


@pytest.mark.parametrize("path", ["/.search", "/Users/.search", "/Groups/.search"])
def test_search_answers_while_another_connection_holds_the_write_lock(
        scim: ScimClient, path: str, request: pytest.FixtureRequest) -> None:
    made = scim.post("/Users", json={"schemas": [CORE_USER], "userName": "ann"})
    assert made.status_code == 201
    request.getfixturevalue("write_lock")
    body = {"schemas": [SEARCH], "filter": 'userName eq "ann"'} if "Groups" not in path else {
        "schemas": [SEARCH]}
    response = answered_within(scim, path, body)
    assert response is not None, f"POST {path} waited on the write lock"
    assert response.status_code == 200, response.get_data(True)
    expected = 0 if "Groups" in path else 1
    assert response.get_json()["totalResults"] == expected


def test_a_write_still_takes_the_lock(app: Flask, scim: ScimClient, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's single write lock")
    holder = sqlite3.connect(app.extensions[db.EXTENSION_KEY][0].url.database,
                             isolation_level=None, timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    answers: list[Any] = []
    worker = threading.Thread(target=lambda: answers.append(scim.post(
        "/Users", json={"schemas": [CORE_USER], "userName": "bob"})), daemon=True)
    worker.start()
    worker.join(1.0)
    waited = not answers
    holder.execute("ROLLBACK")
    holder.close()
    worker.join(BOUND_SECONDS)
    assert waited, "a POST /Users must queue for the write lock"
    assert answers and answers[0].status_code == 201
