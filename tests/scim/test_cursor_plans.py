"""Cursor pages at directory scale cost what the first page does (issue 15, RFC 9865).

Proven from query plans and statements, not timings: a page after a cursor is one keyset
query whose range the `(directory_id, created_at, id)` index can *start* at (so a page near
the end of a million users reads a page of index entries, not a million), and no page after
the first counts the directory again.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event

from scim_server import db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PAGE_INDEX = "ix_directory_users_page"


@pytest.fixture
def users(scim):
    for n in range(9):
        assert scim.post("/Users", json={"schemas": [USER], "userName": f"u{n}",
                                         "active": n % 2 == 0}).status_code == 201


def _statements(app, call) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, params, _context, _many):
        seen.append((statement, params))

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


def _page_statement(statements: list[tuple[str, Any]]) -> tuple[str, Any]:
    pages = [(s, p) for s, p in statements if "FROM directory_users" in s and "LIMIT" in s]
    assert len(pages) == 1, statements
    return pages[0]


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


def _explain(app, statement: str, params: Any) -> tuple[str, Any]:
    """The plan of the page statement as the server sent it: SQLite's EXPLAIN QUERY PLAN
    text, or PostgreSQL's JSON plan with sequential scans and sorts priced out (a test
    directory is small enough that a scan would win; the question is whether the index
    *can* serve the range in order)."""
    with app.app_context():
        engine = db.engine()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            return "sqlite", " | ".join(str(r[-1]) for r in rows)
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()
        conn.rollback()
        data = raw if isinstance(raw, list) else json.loads(raw)
        return "postgresql", data[0]["Plan"]


@pytest.mark.parametrize("backwards", [False, True], ids=["next", "previous"])
def test_a_cursor_page_starts_the_index_range_at_its_anchor(app, scim, users, backwards):
    first = scim.get("/Users?cursor=&count=3").get_json()
    second = scim.get("/Users", query_string={"cursor": first["nextCursor"],
                                              "count": 3}).get_json()
    cursor = second["previousCursor"] if backwards else second["nextCursor"]
    statements = _statements(app, lambda: scim.get(
        "/Users", query_string={"cursor": cursor, "count": 3}))
    statement, params = _page_statement(statements)

    backend, plan = _explain(app, statement, params)
    if backend == "sqlite":
        # The index is searched from the anchor: created_at is a range term of the search,
        # not a filter applied after reading the directory from its first entry.
        assert f"USING INDEX {PAGE_INDEX} (directory_id=? AND created_at" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        return
    nodes = _plan_nodes(plan)
    scans = [n for n in nodes if n.get("Index Name") == PAGE_INDEX]
    assert scans and scans[0]["Node Type"] in ("Index Scan", "Index Only Scan"), plan
    assert "created_at" in scans[0].get("Index Cond", ""), plan
    assert not [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")], plan


def test_only_the_first_page_counts_the_directory(app, scim, users):
    """RFC 9865 §2.2 keeps RFC 7644's accurate totalResults (SHOULD) and allows an estimate:
    the first page counts; the pages after it repeat that count instead of counting again."""
    counted: list[list[tuple[str, Any]]] = []
    cursor, totals = "", []
    while True:
        response = None

        def page() -> None:
            nonlocal response
            response = scim.get("/Users", query_string={"cursor": cursor, "count": 2,
                                                        "filter": "active eq true"})
        statements = _statements(app, page)
        counted.append([s for s in statements if "count(" in s[0].lower()])
        body = response.get_json()
        totals.append(body["totalResults"])
        if "nextCursor" not in body:
            break
        cursor = body["nextCursor"]
    assert len(counted) == 3  # 5 active users, 2 a page
    assert len(counted[0]) == 1 and counted[1:] == [[], []]
    assert totals == [5, 5, 5]


def test_a_forged_total_in_a_cursor_is_an_invalid_cursor(scim, users):
    import base64

    first = scim.get("/Users?cursor=&count=2").get_json()["nextCursor"]
    data = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    data["n"] = "lots"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    response = scim.get("/Users", query_string={"cursor": forged, "count": 2})
    assert response.status_code == 400 and response.get_json()["scimType"] == "invalidCursor"
