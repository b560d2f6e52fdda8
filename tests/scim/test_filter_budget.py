"""The filter budget (scim/filter_budget.py) and the one sub-query per multi-valued attribute.

Issue 12 finding 7: on PostgreSQL, 159 `emails[value co "..."]` terms joined by `and`
passed the length and term caps and took 8.5-20 s, each term its own sub-query.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import postgresql

from scim_server.scim.errors import InvalidFilter
from scim_server.scim.filters import compile_user_filter

from .filter_world import SCHEMAS_DIR

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture(scope="module")
def registry():
    from scim_server.scim.schema_registry import SchemaRegistry
    return SchemaRegistry.load(SCHEMAS_DIR)


def subqueries(registry, filter_text: str) -> int:
    sql = str(compile_user_filter(registry, filter_text, directory_id="d").compile(
        dialect=postgresql.dialect()))
    return sql.count("FROM directory_user_values")


def test_159_substring_terms_on_emails_are_over_budget(scim) -> None:
    text = " and ".join(f'emails[value co "{n % 10}"]' for n in range(159))
    assert len(text) < 4096  # under the length and term caps, as in the issue
    response = scim.get("/Users", query_string={"filter": text})
    body = response.get_json()
    assert response.status_code == 400 and body["scimType"] == "invalidFilter", body
    assert "too expensive" in body["detail"] and "budget is 100" in body["detail"]
    search = scim.post("/.search", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": text})
    assert search.status_code == 400 and search.get_json()["scimType"] == "invalidFilter"


@pytest.mark.parametrize("filter_text", [
    " or ".join(f'groups.display eq "g{n}"' for n in range(5)),  # 5 recursive walks
    " and ".join(f'name.givenName co "{n}"' for n in range(21)),  # 21 scans of JSON
    " and ".join(f'{attribute}[type co "x"]' for attribute in
                 ("emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements",
                  "roles", "x509Certificates")),
])
def test_other_expensive_shapes_are_over_budget(registry, filter_text: str) -> None:
    with pytest.raises(InvalidFilter, match="too expensive"):
        compile_user_filter(registry, filter_text, directory_id="d")


@pytest.mark.parametrize("filter_text, expected", [
    (" and ".join(f'emails[value co "{n}"]' for n in range(20)), 1),
    (" or ".join(f'emails.value eq "{n}@x"' for n in range(50)), 1),
    ('emails[value co "a" and type eq "work"] and emails.value ew ".org" and '
     'userName sw "a" and phoneNumbers[type eq "mobile"] and phoneNumbers pr', 3),
    ('emails co "a" or (emails co "b" or emails[type eq "home"])', 1),
])
def test_terms_on_one_attribute_share_one_subquery(registry, filter_text: str,
                                                   expected: int) -> None:
    assert subqueries(registry, filter_text) == expected


@pytest.fixture
def people(scim) -> dict[str, str]:
    emails = {"ann": ["ann@a.example", "ann@b.example"], "bea": ["bea@a.example"],
              "cy": ["cy@b.example"], "dan": []}
    ids = {}
    for name, values in emails.items():
        body: dict[str, Any] = {"schemas": [CORE], "userName": name,
                                "emails": [{"value": v, "type": "work" if "@a." in v else "home"}
                                           for v in values]}
        ids[scim.post("/Users", json=body).get_json()["id"]] = name
    return ids


@pytest.mark.parametrize("filter_text, expected", [
    ('emails[value co "@a."] and emails[value co "@b."]', {"ann"}),  # two different values
    ('emails[value co "@a." and value co "@b."]', set()),  # one value: none has both
    ('emails[value co "@a."] or emails[value co "@b."]', {"ann", "bea", "cy"}),
    ('emails co "@a." and emails[type eq "home"] and userName ne "bea"', {"ann"}),
    ('emails co "@a." and not (emails co "@b.")', {"bea"}),
    ('(emails co "ann" and emails co "@b.") or emails co "bea"', {"ann", "bea"}),
    ('emails[type eq "work" and value sw "b"] and emails[type eq "work"]', {"bea"}),
])
def test_merged_terms_keep_their_meaning(scim, people, filter_text: str,
                                         expected: set[str]) -> None:
    response = scim.get("/Users", query_string={"filter": filter_text})
    assert response.status_code == 200, response.get_json()
    assert {people[r["id"]] for r in response.get_json()["Resources"]} == expected
