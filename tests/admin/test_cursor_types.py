"""Admin list cursors are client input: a wrong value type is a 400 problem, never a 500."""
from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest

from tests.admin.conftest import AdminClient

LISTS = ("/users", "/groups", "/access-requests", "/audit-log", "/invitations", "/outbox",
         "/products", "/domains", "/sites", "/directories")


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSORS = {
    "number-then-string": _b64([1, "x"]),
    "one-string": _b64(["x"]),
    "string-string": _b64(["x", "y"]),
    "timestamp-garbage": _b64([{"t": "not a time"}, "x"]),
    "timestamp-object": _b64([{"t": 5}, "x"]),
    "huge-number": _b64([10 ** 30]),
    "nul-in-id": _b64([{"t": "2026-01-01T00:00:00"}, "a\u0000b"]),
    "three-values": _b64([1, 2, 3]),
    "object": _b64({"a": 1}),
    "not-base64": "%%%***",
    "not-json": base64.urlsafe_b64encode(b"\xff\xfe{").decode(),
    "wrong-padding": "YQ",
}


@pytest.mark.parametrize("path", LISTS)
def test_cursor_of_the_wrong_type_is_a_problem_document(admin: AdminClient, path: str) -> None:
    admin.post("/groups", json={"name": "Cursor bait"})
    for name, cursor in BAD_CURSORS.items():
        response = admin.get(path, query_string={"cursor": cursor})
        assert response.status_code == 400, (path, name, response.status_code,
                                              response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json", (path, name)
        assert response.get_json()["status"] == 400


def test_a_real_next_cursor_still_pages(admin: AdminClient) -> None:
    for i in range(3):
        assert admin.post("/groups", json={"name": f"Group {i}"}).status_code == 201
    first = admin.get("/groups", query_string={"limit": 2}).get_json()
    link = urlsplit(first["links"]["next"])
    second = admin.get(f"{link.path}?{link.query}").get_json()
    names = [g["name"] for g in first["data"] + second["data"]]
    assert sorted(names) == ["Group 0", "Group 1", "Group 2"]


@pytest.mark.parametrize("text", ["a\u0000b", "\ud800"], ids=["nul", "lone-surrogate"])
def test_text_the_database_cannot_store_is_a_400(admin: AdminClient, text: str) -> None:
    """Found by the schemathesis fuzz: a NUL in a name was a 500 on PostgreSQL."""
    body = '{"name": "' + ("a\\u0000b" if "\u0000" in text else "\\ud800") + '", "idp": "entra"}'
    for path, kwargs in (("/directories", {"data": body, "content_type": "application/json"}),
                         ("/groups", {"data": body.replace(', "idp": "entra"', ""),
                                      "content_type": "application/json"})):
        response = admin.post(path, **kwargs)
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json"
    listed = admin.get("/users?q=a%00b")  # over HTTP only NUL can reach a query string
    assert listed.status_code == 400 and listed.mimetype == "application/problem+json"
    assert admin.get("/groups/a%00b").status_code == 400
