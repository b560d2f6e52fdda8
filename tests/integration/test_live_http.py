"""An identity provider's session over real HTTP: sockets, headers, streaming, limits.

The app runs in a real WSGI server on loopback (`live_server`) and `requests` talks to it
the way a provisioning service does: connection test, user create and update with
entity tags, deactivation, group push with members, cursor paging through a directory,
a Bulk request, the limits that protect the server, and clean-up.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Iterator

import pytest
import requests

from .replay import ERROR, GROUP, LIST_RESPONSE, USER, patch_body

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SCIM_JSON = "application/scim+json"


class Http:
    """A SCIM client over HTTP for one directory."""

    def __init__(self, base: str, token: str):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "Accept": SCIM_JSON, "User-Agent": "replay/1.0"})

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any
             ) -> requests.Response:
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs.setdefault("headers", {})["Content-Type"] = SCIM_JSON
        return self.session.request(method, self.base + path, timeout=30, **kwargs)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def idp_tenant(make_tenant):
    return make_tenant("Live", idp="entra")


@pytest.fixture
def http(live_server, idp_tenant) -> Iterator[Http]:
    client = Http(live_server + idp_tenant.scim_base, idp_tenant.scim_token)
    yield client
    client.close()


def ok(response: requests.Response, status: int) -> Any:
    assert response.status_code == status, (response.status_code, response.text[:500])
    if response.content:
        assert response.headers["Content-Type"].startswith(SCIM_JSON)
        return response.json()
    return None


def test_provisioning_session(http, live_server, idp_tenant):
    empty = ok(http.call("GET", "/Users", params={"filter": f'userName eq "{uuid.uuid4()}"'}),
               200)
    assert empty["schemas"] == [LIST_RESPONSE] and empty["totalResults"] == 0

    created = http.call("POST", "/Users", {"schemas": [USER], "userName": "live@example.com",
                                           "name": {"givenName": "Live", "familyName": "Wire"},
                                           "emails": [{"value": "live@example.com",
                                                       "type": "work", "primary": True}]})
    user = ok(created, 201)
    assert created.headers["Location"] == user["meta"]["location"]
    assert created.headers["ETag"] == 'W/"1"' and created.headers["X-Request-Id"]
    path = f"/Users/{user['id']}"

    assert http.call("GET", path, headers={"If-None-Match": 'W/"1"'}).status_code == 304
    stale = http.call("PATCH", path, patch_body({"op": "replace", "path": "title",
                                                 "value": "x"}), headers={"If-Match": 'W/"7"'})
    assert ok(stale, 412)["schemas"] == [ERROR]
    deactivated = http.call("PATCH", path, patch_body(
        {"op": "Replace", "path": "active", "value": "False"}), headers={"If-Match": 'W/"1"'})
    assert ok(deactivated, 200)["active"] is False and deactivated.headers["ETag"] == 'W/"2"'

    group = ok(http.call("POST", "/Groups", {"schemas": [GROUP], "displayName": "Live Group",
                                             "members": [{"value": user["id"]}]}), 201)
    gpath = f"/Groups/{group['id']}"
    streamed = http.call("GET", gpath, stream=True)
    assert [m["value"] for m in ok(streamed, 200)["members"]] == [user["id"]]
    slim = ok(http.call("GET", gpath, params={"excludedAttributes": "members"}), 200)
    assert "members" not in slim
    assert ok(http.call("PATCH", gpath, patch_body(
        {"op": "Remove", "path": "members", "value": [{"value": user["id"]}]})), 204) is None
    assert ok(http.call("GET", gpath), 200)["members"] == []

    assert ok(http.call("DELETE", gpath), 204) is None
    assert ok(http.call("DELETE", path), 204) is None
    assert ok(http.call("GET", path), 404)["status"] == "404"

    tolerances = requests.get(
        f"{live_server}{idp_tenant.admin_base}/directories/{idp_tenant.directory_id}/tolerances",
        headers=idp_tenant.admin_headers, timeout=30).json()["data"]
    assert {t["name"]: t["count"] for t in tolerances} == {
        "op_case": 2, "string_booleans": 1, "remove_value_selects": 1}


def test_cursor_paging_through_the_directory(http):
    names = [f"page{n:02d}@example.com" for n in range(11)]
    for name in names:
        ok(http.call("POST", "/Users", {"schemas": [USER], "userName": name}), 201)
    seen: list[str] = []
    params: dict[str, Any] = {"cursor": "", "count": 4, "attributes": "userName"}
    while True:
        page = ok(http.call("GET", "/Users", params=params), 200)
        assert page["totalResults"] == 11 and "startIndex" not in page
        seen += [r["userName"] for r in page["Resources"]]
        if "nextCursor" not in page:
            break
        params["cursor"] = page["nextCursor"]
    assert seen == names
    bad = ok(http.call("GET", "/Users", params={"cursor": "forged"}), 400)
    assert bad["scimType"] == "invalidCursor"


def test_bulk_over_http_and_its_limits(http, app, monkeypatch, idp_tenant):
    body = {"schemas": [BULK_REQUEST], "failOnErrors": 5, "Operations": [
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
            "schemas": [GROUP], "displayName": "Bulk Group",
            "members": [{"value": "bulkId:u"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "u", "data": {
            "schemas": [USER], "userName": "bulk@example.com"}},
    ]}
    results = ok(http.call("POST", "/Bulk", body), 200)["Operations"]
    assert [(r["bulkId"], r["status"]) for r in results] == [("u", "201"), ("g", "201")]
    group = ok(http.call("GET", results[1]["location"].split(idp_tenant.scim_base, 1)[1]), 200)
    assert group["members"][0]["value"] == results[0]["location"].rsplit("/", 1)[1]

    monkeypatch.setattr(app.config["SCIM"], "bulk_max_payload_bytes", 1024)
    oversize = json.dumps({"schemas": [BULK_REQUEST], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": str(n),
         "data": {"schemas": [USER], "userName": f"big{n}@example.com"}} for n in range(40)]})
    sized = http.call("POST", "/Bulk", data=oversize, headers={"Content-Type": SCIM_JSON})
    assert ok(sized, 413)["status"] == "413"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(oversize), 256):
            yield oversize[start:start + 256].encode()

    chunked = http.call("POST", "/Bulk", data=chunks(), headers={"Content-Type": SCIM_JSON})
    assert chunked.status_code == 413, chunked.text[:300]
    found = ok(http.call("GET", "/Users", params={"filter": 'userName sw "big"'}), 200)
    assert found["totalResults"] == 0, "an oversize bulk stores nothing"


def test_a_request_without_a_token_is_told_how_to_authenticate(live_server, idp_tenant):
    response = requests.get(f"{live_server}{idp_tenant.scim_base}/Users", timeout=30)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["schemas"] == [ERROR]
