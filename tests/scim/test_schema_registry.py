"""The schema registry (RFC 7643 §7): documents on disk drive attribute lookups."""
from __future__ import annotations

from pathlib import Path

import pytest

from scim_server.scim.schema_registry import (COMMON, CORE_USER, ENTERPRISE_USER, SchemaRegistry,
                                              UnknownAttribute)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry.load(SCHEMAS)


@pytest.mark.parametrize("path, schema, name, sub", [
    ("userName", CORE_USER, "userName", None),
    ("USERNAME", CORE_USER, "userName", None),
    ("name.givenName", CORE_USER, "name", "givenName"),
    (f"{CORE_USER}:emails", CORE_USER, "emails", None),
    (f"{ENTERPRISE_USER}:manager.value", ENTERPRISE_USER, "manager", "value"),
    (f"{ENTERPRISE_USER.lower()}:department", ENTERPRISE_USER, "department", None),
    ("meta.lastModified", COMMON, "meta", "lastModified"),
    ("externalId", COMMON, "externalId", None),
])
def test_resolve(registry, path, schema, name, sub):
    resolved = registry.resolve("User", path)
    assert (resolved.schema, resolved.attribute.name) == (schema, name)
    assert (resolved.sub.name if resolved.sub else None) == sub


@pytest.mark.parametrize("path", ["shoeSize", "name.shoeSize", f"{ENTERPRISE_USER}:",
                                  "urn:ietf:params:scim:schemas:core:2.0:Nope:x", "members"])
def test_unknown_paths(registry, path):
    with pytest.raises(UnknownAttribute):
        registry.resolve("User", path)


def test_characteristics_come_from_the_documents(registry):
    assert registry.resolve("User", "userName").attribute.uniqueness == "server"
    assert registry.resolve("User", "password").attribute.returned == "never"
    assert registry.resolve("User", "groups").attribute.mutability == "readOnly"
    assert registry.resolve("User", "externalId").attribute.case_exact is True
    assert registry.resolve("User", "emails.value").target.case_exact is False
    assert registry.resolve("Group", "members.value").target.mutability == "immutable"
    assert registry.resource_type("User").schema_ids == (CORE_USER, ENTERPRISE_USER)


def test_a_resource_type_naming_a_missing_schema_is_refused(tmp_path):
    (tmp_path / "resource-types").mkdir()
    (tmp_path / "resource-types" / "X.json").write_text(
        '{"id": "X", "name": "X", "endpoint": "/X", "schema": "urn:missing"}')
    with pytest.raises(ValueError, match="urn:missing"):
        SchemaRegistry.load(tmp_path)
