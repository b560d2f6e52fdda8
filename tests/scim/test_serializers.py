"""Request bodies validated by marshmallow schemas generated from `schemas/`."""
from __future__ import annotations

from pathlib import Path

import pytest
from marshmallow import ValidationError

from scim_server.scim.errors import ScimError
from scim_server.scim.schema_registry import CORE_GROUP, CORE_USER, ENTERPRISE_USER, SchemaRegistry
from scim_server.scim.serializers import load_resource

REGISTRY = SchemaRegistry.load(Path(__file__).resolve().parents[2] / "schemas")


def test_keys_are_canonicalised_case_insensitively():
    parsed = load_resource(REGISTRY, "User", {"SCHEMAS": [CORE_USER], "USERNAME": "ada",
                                              "Name": {"GIVENNAME": "Ada"}})
    assert parsed.document == {"userName": "ada", "name": {"givenName": "Ada"}}


def test_read_only_attributes_are_ignored_not_refused():
    parsed = load_resource(REGISTRY, "User", {
        "schemas": [CORE_USER], "userName": "ada", "id": "x", "groups": [{"value": "g"}],
        "meta": {"resourceType": "User", "anything": 1}})
    assert parsed.document == {"userName": "ada"}


def test_password_is_kept_apart():
    parsed = load_resource(REGISTRY, "User", {"schemas": [CORE_USER], "userName": "a",
                                              "password": "pw"})
    assert parsed.password == "pw" and "password" not in parsed.document


def test_extension_by_object_or_qualified_key():
    parsed = load_resource(REGISTRY, "User", {
        "schemas": [CORE_USER, ENTERPRISE_USER], "userName": "a",
        ENTERPRISE_USER: {"department": "R&D"}, f"{ENTERPRISE_USER}:costCenter": "7"})
    assert parsed.document[ENTERPRISE_USER] == {"department": "R&D", "costCenter": "7"}


def test_nulls_mean_unassigned():
    parsed = load_resource(REGISTRY, "User", {"schemas": [CORE_USER], "userName": "a",
                                              "title": None, "emails": [None]})
    assert parsed.document == {"userName": "a"}


def test_lenient_booleans_only_when_asked():
    body = {"schemas": [CORE_USER], "userName": "a", "active": "False"}
    with pytest.raises(ValidationError):
        load_resource(REGISTRY, "User", body)
    assert load_resource(REGISTRY, "User", body, lenient_booleans=True).document["active"] is False


@pytest.mark.parametrize("body", [
    {"schemas": [CORE_GROUP]},
    {"schemas": [CORE_GROUP], "displayName": ["a"]},
    {"schemas": [CORE_GROUP], "displayName": "a", "members": [{"value": 5}]},
    {"schemas": [CORE_USER], "displayName": "a"},
])
def test_invalid_group_bodies(body):
    with pytest.raises((ValidationError, ScimError)):
        load_resource(REGISTRY, "Group", body)
