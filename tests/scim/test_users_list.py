"""Listing and searching Users (RFC 7644 §3.4.2, §3.4.3): filter, sort, page, project."""
from __future__ import annotations

import pytest

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def people(scim):
    names = [("carol", "Carol", "c-3"), ("alice", "Alice", "a-1"), ("bob", "Bob", "b-2"),
             ("dave", "Dave", "d-4"), ("erin", "Erin", "e-5")]
    ids = {}
    for user_name, given, external in names:
        body = {"schemas": [CORE], "userName": f"{user_name}@example.com", "externalId": external,
                "name": {"givenName": given}, "active": user_name != "dave",
                "emails": [{"value": f"{user_name}@example.com", "type": "work"}]}
        ids[user_name] = scim.post("/Users", json=body).get_json()["id"]
    return ids


def user_names(body):
    return [r["userName"].split("@")[0] for r in body["Resources"]]


def test_list_without_parameters(scim, people):
    body = scim.get("/Users").get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 5 and body["itemsPerPage"] == 5 and body["startIndex"] == 1
    assert user_names(body) == ["carol", "alice", "bob", "dave", "erin"], "creation order"


def test_filter_by_user_name_is_case_insensitive(scim, people):
    body = scim.get('/Users?filter=userName eq "ALICE@example.com"').get_json()
    assert body["totalResults"] == 1 and body["Resources"][0]["id"] == people["alice"]


def test_filter_by_external_id_and_email(scim, people):
    assert user_names(scim.get('/Users?filter=externalId eq "b-2"').get_json()) == ["bob"]
    assert scim.get('/Users?filter=externalId eq "B-2"').get_json()["totalResults"] == 0
    body = scim.get('/Users?filter=emails[value eq "Erin@Example.com"]').get_json()
    assert user_names(body) == ["erin"]
    assert user_names(scim.get("/Users?filter=active eq false").get_json()) == ["dave"]


def test_bad_filter_is_invalid_filter(scim, people):
    for text in ['userName eq', 'shoeSize eq "9"', 'userName zz "a"', '(userName eq "a"']:
        response = scim.get("/Users", query_string={"filter": text})
        assert response.status_code == 400, text
        assert response.get_json()["scimType"] == "invalidFilter", text


def test_sorting(scim, people):
    body = scim.get("/Users?sortBy=name.givenName").get_json()
    assert user_names(body) == ["alice", "bob", "carol", "dave", "erin"]
    body = scim.get("/Users?sortBy=userName&sortOrder=descending").get_json()
    assert user_names(body) == ["erin", "dave", "carol", "bob", "alice"]
    assert scim.get("/Users?sortOrder=sideways").status_code == 400


def test_paging(scim, people):
    body = scim.get("/Users?sortBy=userName&startIndex=2&count=2").get_json()
    assert body["totalResults"] == 5 and body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert user_names(body) == ["bob", "carol"]
    last = scim.get("/Users?sortBy=userName&startIndex=5&count=2").get_json()
    assert user_names(last) == ["erin"]
    beyond = scim.get("/Users?startIndex=50").get_json()
    assert beyond["totalResults"] == 5 and beyond["Resources"] == []


def test_paging_edge_values_follow_the_rfc(scim, people):
    zero = scim.get("/Users?count=0").get_json()
    assert zero["totalResults"] == 5 and zero["Resources"] == []
    assert scim.get("/Users?count=-3").get_json()["Resources"] == []
    assert scim.get("/Users?startIndex=0&count=1").get_json()["startIndex"] == 1
    for bad in ("count=abc", "startIndex=1.5", "count=99999999999999999999"):
        response = scim.get(f"/Users?{bad}")
        assert response.status_code == 400 and response.get_json()["scimType"] == "invalidValue"


def test_count_is_capped_at_the_maximum_page_size(app, scim, people):
    cfg = app.config["SCIM"]
    old = cfg.max_page_size
    cfg.max_page_size = 2
    try:
        assert scim.get("/Users?count=100").get_json()["itemsPerPage"] == 2
    finally:
        cfg.max_page_size = old


def test_projection_on_lists(scim, people):
    body = scim.get("/Users?attributes=userName&count=1").get_json()
    assert body["Resources"][0] == {"schemas": [CORE], "id": people["carol"],
                                    "userName": "carol@example.com"}
    body = scim.get("/Users?excludedAttributes=emails,groups,meta&count=1").get_json()
    assert "emails" not in body["Resources"][0] and "meta" not in body["Resources"][0]
    assert scim.get("/Users?attributes=userName&excludedAttributes=emails").status_code == 400


def test_search_with_post(scim, people):
    response = scim.post("/Users/.search", json={
        "schemas": [SEARCH], "filter": 'userName sw "a" or userName sw "b"',
        "sortBy": "userName", "attributes": ["userName"], "startIndex": 1, "count": 10})
    assert response.status_code == 200
    assert user_names(response.get_json()) == ["alice", "bob"]


@pytest.mark.parametrize("body", [
    {"filter": 'userName eq "a"'},
    {"schemas": [SEARCH], "filter": 7},
    {"schemas": [SEARCH], "attributes": "userName"},
    {"schemas": [SEARCH], "count": "ten"},
    {"schemas": [SEARCH], "colour": "red"},
])
def test_bad_search_requests_are_400(scim, body):
    response = scim.post("/Users/.search", json=body)
    assert response.status_code == 400
    assert response.get_json()["scimType"] in ("invalidSyntax", "invalidValue", "invalidFilter")
