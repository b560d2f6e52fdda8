"""Cursor pagination (RFC 9865): keyset pages over Users and Groups, cursors bound to a query."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from scim_server import db
from scim_server.scim.cursors import Cursor, decode_cursor, encode_cursor
from scim_server.scim.errors import InvalidCursor

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
NAMES = [("kim", "Kim", "Tour"), ("ada", "Ada", None), ("bo", "Bo", "Guide"),
         ("cy", None, "Tour"), ("dee", "Dee", None), ("eve", "Eve", "Admin"), ("fay", "Fay", None)]


@pytest.fixture
def people(scim):
    """Seven users; some without a family name or a title, so sorting meets missing values."""
    for user_name, family, title in NAMES:
        body = {"schemas": [USER], "userName": user_name, "active": user_name != "bo",
                "emails": [{"value": f"{user_name}@example.com", "type": "work"}]}
        if family:
            body["name"] = {"familyName": family}
        if title:
            body["title"] = title
        assert scim.post("/Users", json=body).status_code == 201
    return [n for n, _, _ in NAMES]


def walk(scim, path, count=2, **params):
    """Follow nextCursor from the first page to the last; the pages, as lists of bodies."""
    pages, cursor = [], ""
    while True:
        response = scim.get(path, query_string={**params, "cursor": cursor, "count": count})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append(body)
        assert len(pages) < 20, "the walk never ends"
        if "nextCursor" not in body:
            return pages
        cursor = body["nextCursor"]


def names(pages):
    return [r["userName"] for page in pages for r in page["Resources"]]


def index_order(scim, **params):
    body = scim.get("/Users", query_string={**params, "count": 100}).get_json()
    return [r["userName"] for r in body["Resources"]]


class TestCursorText:
    def test_round_trip(self):
        cursor = Cursor("abc", datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc), "id-1",
                        backwards=True)
        assert decode_cursor(encode_cursor(cursor), "abc") == cursor

    @pytest.mark.parametrize("text", [
        "not a cursor", "%%%", base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"q": "abc"}').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(json.dumps({"q": "abc", "t": "yesterday", "i": "x",
                                             "d": "n"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"q": "abc", "t": "2026-01-01T00:00:00",
                                             "i": "x", "d": "n"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"q": "abc", "t": "2026-01-01T00:00:00+00:00",
                                             "i": 7, "d": "n"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"q": "abc", "t": "2026-01-01T00:00:00+00:00",
                                             "i": "x", "d": "sideways"}).encode()).decode(),
        "A" * 600,
    ])
    def test_malformed_cursors_are_invalid(self, text):
        with pytest.raises(InvalidCursor):
            decode_cursor(text, "abc")

    def test_a_cursor_of_another_query_is_invalid(self):
        text = encode_cursor(Cursor("abc", datetime.now(timezone.utc), "id-1"))
        with pytest.raises(InvalidCursor, match="another query"):
            decode_cursor(text, "xyz")


def test_service_provider_config_advertises_cursor_paging(scim):
    pagination = scim.get("/ServiceProviderConfig").get_json()["pagination"]
    assert pagination["cursor"] is True and pagination["index"] is True


def test_first_page_then_every_page_in_creation_order(scim, people):
    first = scim.get("/Users?cursor=&count=3").get_json()
    assert first["totalResults"] == 7 and first["itemsPerPage"] == 3
    assert "startIndex" not in first and "previousCursor" not in first
    assert first["nextCursor"]
    pages = walk(scim, "/Users", count=3)
    assert [len(p["Resources"]) for p in pages] == [3, 3, 1]
    assert names(pages) == people == index_order(scim)
    assert all(p["totalResults"] == 7 for p in pages)
    assert "nextCursor" not in pages[-1]


def test_a_bare_cursor_parameter_asks_for_the_first_page(scim, people):
    body = scim.get("/Users?cursor&count=2").get_json()
    assert [r["userName"] for r in body["Resources"]] == people[:2] and body["nextCursor"]


def test_previous_cursor_goes_back_a_page(scim, people):
    pages = walk(scim, "/Users", count=3)
    back = scim.get("/Users", query_string={"cursor": pages[2]["previousCursor"],
                                            "count": 3}).get_json()
    assert [r["userName"] for r in back["Resources"]] == people[3:6]
    assert back["nextCursor"] and back["previousCursor"]
    start = scim.get("/Users", query_string={"cursor": back["previousCursor"],
                                             "count": 3}).get_json()
    assert [r["userName"] for r in start["Resources"]] == people[:3]
    assert "previousCursor" not in start, "nothing comes before the first page"
    again = scim.get("/Users", query_string={"cursor": start["nextCursor"],
                                             "count": 3}).get_json()
    assert [r["userName"] for r in again["Resources"]] == people[3:6]


def test_filter_applies_on_every_page_and_total_counts_matches(scim, people):
    pages = walk(scim, "/Users", count=2, filter="active eq true")
    assert names(pages) == [n for n in people if n != "bo"]
    assert {p["totalResults"] for p in pages} == {6}


@pytest.mark.parametrize("sort_by", ["name.familyName", "title", "userName", "emails.value",
                                     "active", "meta.lastModified", "meta.version"])
@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_sorted_cursor_pages_match_the_sorted_list(scim, people, sort_by, order):
    pages = walk(scim, "/Users", count=2, sortBy=sort_by, sortOrder=order)
    assert names(pages) == index_order(scim, sortBy=sort_by, sortOrder=order)
    last = pages[-1]
    back = scim.get("/Users", query_string={"cursor": last["previousCursor"], "count": 2,
                                            "sortBy": sort_by, "sortOrder": order}).get_json()
    assert back["Resources"] == pages[-2]["Resources"]


def test_a_cursor_reused_with_another_query_is_invalid(scim, people):
    cursor = scim.get("/Users?cursor=&count=2").get_json()["nextCursor"]
    for params in ({"filter": 'userName eq "ada"'}, {"sortBy": "userName"},
                   {"sortBy": "userName", "sortOrder": "descending"}):
        response = scim.get("/Users", query_string={"cursor": cursor, **params})
        assert response.status_code == 400, params
        assert response.get_json()["scimType"] == "invalidCursor"
    assert scim.get("/Groups", query_string={"cursor": cursor}).get_json()["scimType"] \
        == "invalidCursor"


def test_a_cursor_of_another_directory_is_invalid(scim, people, make_tenant,
                                                  make_scim_client):
    cursor = scim.get("/Users?cursor=&count=2").get_json()["nextCursor"]
    other = make_scim_client(make_tenant("Other"))
    response = other.get("/Users", query_string={"cursor": cursor})
    assert response.status_code == 400 and response.get_json()["scimType"] == "invalidCursor"


@pytest.mark.parametrize("cursor", ["garbage", "e30", "////", "x" * 1000])
def test_malformed_cursor_is_a_scim_400(scim, people, cursor):
    response = scim.get("/Users", query_string={"cursor": cursor})
    body = response.get_json()
    assert response.status_code == 400 and body["scimType"] == "invalidCursor"
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_start_index_and_cursor_together_are_refused(scim, people):
    response = scim.get("/Users?cursor=&startIndex=1")
    assert response.status_code == 400 and "startIndex and cursor" in response.get_json()["detail"]


def test_count_zero_gives_the_total_only(scim, people):
    body = scim.get("/Users?cursor=&count=0").get_json()
    assert body["totalResults"] == 7 and body["Resources"] == [] and "nextCursor" not in body


def test_search_bodies_page_by_cursor(scim, people):
    search = {"schemas": [SEARCH], "filter": "active eq true", "count": 4, "cursor": ""}
    first = scim.post("/Users/.search", json=search).get_json()
    assert [r["userName"] for r in first["Resources"]] == ["kim", "ada", "cy", "dee"]
    second = scim.post("/Users/.search", json={**search, "cursor": first["nextCursor"]})
    assert [r["userName"] for r in second.get_json()["Resources"]] == ["eve", "fay"]
    assert scim.post("/Users/.search", json={**search, "cursor": 7}).get_json()["scimType"] \
        == "invalidCursor"
    root = scim.post("/.search", json={"schemas": [SEARCH], "cursor": ""})
    assert root.status_code == 400 and "cursor" in root.get_json()["detail"]


def test_a_deleted_anchor_does_not_break_the_default_order(scim, people):
    first = scim.get("/Users?cursor=&count=2").get_json()
    scim.delete(f"/Users/{first['Resources'][1]['id']}")
    rest = scim.get("/Users", query_string={"cursor": first["nextCursor"], "count": 10})
    assert [r["userName"] for r in rest.get_json()["Resources"]] == people[2:]


def test_a_deleted_anchor_expires_a_sorted_cursor(scim, people):
    first = scim.get("/Users?cursor=&count=2&sortBy=userName").get_json()
    scim.delete(f"/Users/{first['Resources'][1]['id']}")
    response = scim.get("/Users", query_string={"cursor": first["nextCursor"],
                                                "sortBy": "userName"})
    assert response.status_code == 400 and response.get_json()["scimType"] == "expiredCursor"


def test_groups_page_by_cursor_without_reading_members(scim, people):
    for number in range(5):
        assert scim.post("/Groups", json={"schemas": [GROUP],
                                          "displayName": f"team-{number}"}).status_code == 201
    pages = walk(scim, "/Groups", count=2, excludedAttributes="members")
    assert [g["displayName"] for p in pages for g in p["Resources"]] == \
        [f"team-{n}" for n in range(5)]
    assert all("members" not in g for p in pages for g in p["Resources"])
    sorted_pages = walk(scim, "/Groups", count=2, sortBy="displayName", sortOrder="descending")
    assert [g["displayName"] for p in sorted_pages for g in p["Resources"]] == \
        [f"team-{n}" for n in reversed(range(5))]


def test_deep_pages_are_keyset_queries_not_offsets(app, scim, people):
    """A later page seeks past its anchor (no OFFSET), so it costs what the first page does."""
    second = scim.get("/Users?cursor=&count=2").get_json()["nextCursor"]
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, params, _context, _many):
        statements.append((statement, params))

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert scim.get("/Users", query_string={"cursor": second, "count": 2}).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    pages = [(s, p) for s, p in statements if "FROM directory_users" in s and "LIMIT" in s
             and "count(" not in s.lower()]
    assert len(pages) == 1, statements
    statement, params = pages[0]
    assert "directory_users.created_at >" in statement
    if "OFFSET" in statement:  # SQLite always writes one: it must skip nothing
        assert isinstance(params, tuple) and params[-1] == 0, params
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM directory_users WHERE directory_id = ? AND "
                "(created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id "
                "LIMIT 3", ("d", "2026-01-01", "2026-01-01", "x")).all()
        details = " ".join(str(row[-1]) for row in plan)
        assert "ix_directory_users_page" in details and "TEMP B-TREE" not in details
