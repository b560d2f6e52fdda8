"""Filters the RFC allows that the server used to refuse or answer per backend.

Issue 12 finding 10: `emails co "@example.com"` (RFC 7644 §3.4.2.2's own example is
`emails co "example.com"`) was an invalidFilter, and on SQLite case-insensitive
comparisons folded ASCII only, so `name.givenName eq "ève"` missed "Ève" there while
PostgreSQL found it. Every expectation below is the same on both backends.
"""
from __future__ import annotations

from typing import Any

import pytest

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"

PEOPLE = {
    "eve": ("eve@example.com", "Ève", "Dupré", [("eve@example.com", "work"),
                                                ("eve@home.example.org", "home")]),
    "strasse": ("STRAẞE@corp.example.net", "Jürgen", "Straße", [("j@corp.example.net", "work")]),
    "istanbul": ("İLKER@example.com", "İlker", "Işık", [("ILKER@Example.COM", "work")]),
    "sigma": ("odos@example.gr", "ΟΔΟΣ", "Σίσυφος", [("odos@example.gr", "work")]),
    "plain": ("ivan@other.example", "Ivan", "Ivanov", []),
}


@pytest.fixture
def people(scim) -> dict[str, str]:
    ids = {}
    for key, (user_name, given, family, emails) in PEOPLE.items():
        body: dict[str, Any] = {"schemas": [CORE], "userName": user_name,
                                "name": {"givenName": given, "familyName": family},
                                "emails": [{"value": v, "type": t} for v, t in emails]}
        response = scim.post("/Users", json=body)
        assert response.status_code == 201, response.get_json()
        ids[response.get_json()["id"]] = key
    return ids


def found(scim, people: dict[str, str], filter_text: str) -> set[str]:
    response = scim.get("/Users", query_string={"filter": filter_text, "count": 50})
    assert response.status_code == 200, (filter_text, response.get_json())
    return {people[r["id"]] for r in response.get_json()["Resources"]}


@pytest.mark.parametrize("filter_text, expected", [
    ('emails co "example.com"', {"eve", "istanbul"}),
    ('emails co "@example.com"', {"eve", "istanbul"}),
    ('emails eq "eve@home.example.org"', {"eve"}),
    ('emails eq "EVE@HOME.EXAMPLE.ORG"', {"eve"}),
    ('emails sw "j@"', {"strasse"}),
    ('emails ew ".gr"', {"sigma"}),
    ('not (emails co "example")', {"plain"}),
    ('emails pr', {"eve", "strasse", "istanbul", "sigma"}),
    ('emails eq null', {"plain"}),
    ('emails co "example.com" and emails[type eq "home"]', {"eve"}),
])
def test_a_complex_attribute_named_alone_filters_on_its_value(scim, people, filter_text,
                                                              expected) -> None:
    assert found(scim, people, filter_text) == expected


@pytest.mark.parametrize("filter_text, expected", [
    ('name.givenName eq "ève"', {"eve"}),
    ('name.givenName eq "ÈVE"', {"eve"}),
    ('name.familyName co "DUPRÉ"', {"eve"}),
    ('name.familyName sw "STRASSE"', set()),  # ß is not "ss": no full case folding
    ('name.familyName eq "STRAẞE"', {"strasse"}),  # capital ẞ folds to ß
    ('userName sw "straße"', {"strasse"}),
    ('name.givenName eq "jÜRGEN"', {"strasse"}),
    ('name.givenName eq "ilker"', {"istanbul"}),  # İ folds to i
    ('userName eq "ilker@example.com"', {"istanbul"}),
    ('name.familyName eq "işık"', {"istanbul"}),  # I folds to i; ı stays ı
    ('name.familyName eq "IŞıK"', {"istanbul"}),
    ('name.familyName eq "işik"', set()),  # not Turkish-aware: dotless ı is not i
    ('name.givenName eq "οδοσ"', {"sigma"}),  # a final Σ folds to σ, as lower() does
    ('name.givenName eq "οδος"', set()),
    ('name.familyName sw "σί"', {"sigma"}),
    ('emails.value eq "ilker@example.com"', {"istanbul"}),
])
def test_case_insensitive_text_folds_the_same_on_both_backends(scim, people, filter_text,
                                                               expected) -> None:
    assert found(scim, people, filter_text) == expected


def test_patch_value_filters_fold_by_the_same_rule(scim, people) -> None:
    """A PATCH path filter selects the values a search filter would (one folding rule)."""
    eve = next(i for i, name in people.items() if name == "eve")
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "path": 'emails[value eq "EVE@HOME.EXAMPLE.ORG"].type',
         "value": "other"}]}
    assert scim.patch(f"/Users/{eve}", json=patch).status_code in (200, 204)
    assert found(scim, people, 'emails[type eq "other"]') == {"eve"}
    strasse = next(i for i, name in people.items() if name == "strasse")
    op = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    named = {"schemas": [op], "Operations": [
        {"op": "replace", "path": 'emails[value eq "J@CORP.EXAMPLE.NET"].display',
         "value": "Straße"}]}
    assert scim.patch(f"/Users/{strasse}", json=named).status_code in (200, 204)
    not_ss = {"schemas": [op], "Operations": [
        {"op": "replace", "path": 'emails[display eq "STRASSE"].type', "value": "x"}]}
    response = scim.patch(f"/Users/{strasse}", json=not_ss)  # ß is not "ss" here either
    assert response.status_code == 400 and response.get_json()["scimType"] == "noTarget"
    capital = {"schemas": [op], "Operations": [
        {"op": "replace", "path": 'emails[display eq "STRAẞE"].type', "value": "x"}]}
    assert scim.patch(f"/Users/{strasse}", json=capital).status_code in (200, 204)
    assert found(scim, people, 'emails[type eq "x"]') == {"strasse"}
