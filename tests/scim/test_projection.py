"""`attributes`, `excludedAttributes` and `returned` (RFC 7644 §3.4.2.5, RFC 7643 §7)."""
from __future__ import annotations

from pathlib import Path

import pytest

from scim_server.scim.errors import InvalidValue
from scim_server.scim.projection import apply_projection, parse_projection
from scim_server.scim.schema_registry import CORE_USER, ENTERPRISE_USER, SchemaRegistry

REGISTRY = SchemaRegistry.load(Path(__file__).resolve().parents[2] / "schemas")
USER = {"schemas": [CORE_USER, ENTERPRISE_USER], "id": "1", "userName": "ada",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "a@x", "type": "work"}], "password": "never-shown",
        ENTERPRISE_USER: {"department": "R&D", "costCenter": "7"},
        "meta": {"resourceType": "User", "version": 'W/"1"'}}


def project(attributes=None, excluded=None):
    projection = parse_projection(REGISTRY, "User", attributes, excluded)
    return apply_projection(REGISTRY, "User", USER, projection)


def test_default_drops_never_returned_attributes():
    result = project()
    assert "password" not in result
    assert result["userName"] == "ada" and result[ENTERPRISE_USER]["department"] == "R&D"


def test_attributes_keep_always_returned_and_named_ones():
    assert project("userName") == {"schemas": USER["schemas"], "id": "1", "userName": "ada"}
    assert project("name.familyName,emails.value")["name"] == {"familyName": "Lovelace"}
    assert project("emails.value")["emails"] == [{"value": "a@x"}]
    assert project(f"{ENTERPRISE_USER}:department")[ENTERPRISE_USER] == {"department": "R&D"}


def test_excluded_attributes():
    result = project(excluded="name.givenName,emails,meta")
    assert result["name"] == {"familyName": "Lovelace"}
    assert "emails" not in result and "meta" not in result and result["id"] == "1"
    assert "id" in project(excluded="id"), "id is always returned"


def test_password_cannot_be_asked_for():
    assert "password" not in project("password")


@pytest.mark.parametrize("attributes", ["shoeSize", "name.shoe", "urn:x:y"])
def test_unknown_names_are_invalid_value(attributes):
    with pytest.raises(InvalidValue):
        parse_projection(REGISTRY, "User", attributes, None)
