"""PATCH paths and path-less value keys resolved against the registry (RFC 7644 §3.5.2)."""
from __future__ import annotations

import pytest

from scim_server.scim.errors import InvalidPath, InvalidValue
from scim_server.scim.patch_paths import MAX_PATH_LENGTH, expand_value, parse_path
from scim_server.scim.schema_registry import COMMON, CORE_GROUP, CORE_USER
from scim_server.scim.tolerances import tolerances_for

from .patch_support import ENTERPRISE, REGISTRY


def _parse(path: object, resource_type: str = "User"):
    return parse_path(REGISTRY, resource_type, path, tolerances_for("generic"))


def test_a_plain_attribute() -> None:
    target = _parse("displayName")
    assert (target.schema, target.attribute.name, target.sub, target.value_filter) == (
        CORE_USER, "displayName", None, None)
    assert not target.is_extension


def test_a_sub_attribute_with_canonical_names() -> None:
    target = _parse("NAME.givenname")
    assert target.attribute.name == "name" and target.sub.name == "givenName"
    assert target.leaf is target.sub


def test_common_attributes_belong_to_no_schema() -> None:
    assert _parse("externalId").schema == COMMON
    assert _parse("meta.created").sub.name == "created"


def test_an_extension_attribute_and_the_extension_itself() -> None:
    manager = _parse(f"{ENTERPRISE}:manager.value")
    assert (manager.schema, manager.attribute.name, manager.sub.name) == (
        ENTERPRISE, "manager", "value")
    assert manager.is_extension
    whole = _parse(ENTERPRISE.lower())
    assert whole.schema == ENTERPRISE and whole.attribute is None and whole.is_extension


def test_a_value_path_with_a_sub_attribute() -> None:
    target = _parse('addresses[type eq "work" and primary eq true].locality')
    assert target.attribute.name == "addresses" and target.sub.name == "locality"
    assert target.value_filter.matches({"type": "work", "primary": True})
    assert not target.value_filter.matches({"type": "work"})


def test_brackets_inside_quoted_filter_values_do_not_end_the_filter() -> None:
    target = _parse('emails[value eq "a]b@x"].type')
    assert target.value_filter.matches({"value": "a]b@x"})
    assert target.sub.name == "type"


def test_group_members_value_path() -> None:
    target = _parse('members[value eq "abc"]', "Group")
    assert target.schema == CORE_GROUP and target.value_filter.equal_values("value") == ["abc"]


@pytest.mark.parametrize("path, detail", [
    ("", "non-empty"),
    ("   ", "non-empty"),
    (None, "non-empty"),
    (["emails"], "non-empty"),
    ("x" * (MAX_PATH_LENGTH + 1), "longer"),
    ("shoeSize", "names no attribute"),
    ("name.shoeSize", "names no attribute"),
    ("name.givenName.first", "names no attribute"),
    ("urn:example:params:scim:schemas:Thing:size", "names no attribute"),
    (f"{ENTERPRISE}:", "names no attribute"),
    ('name[givenName eq "a"]', "multi-valued complex"),
    ('title[value eq "a"]', "multi-valued complex"),
    ('emails.value[type eq "work"]', "multi-valued complex"),
    ('emails[type eq "work"', "unclosed"),
    ('emails]', "unbalanced"),
    ('emails[type eq "work"][value pr]', "more than one"),
    ('emails[type eq "work"]value', "not a sub-attribute"),
    ('emails[type eq "work"].shoe', "not a sub-attribute"),
    ('emails[type eq "work"].value.x', "not a sub-attribute"),
    ('emails[shoe eq "work"]', "no sub-attribute"),
    ('emails[]', "malformed"),
    ('emails[type eq work]', "malformed"),
])
def test_bad_paths_are_invalid_path(path: object, detail: str) -> None:
    with pytest.raises(InvalidPath, match=detail):
        _parse(path)


def test_members_is_not_a_user_attribute() -> None:
    with pytest.raises(InvalidPath):
        _parse("members")
    with pytest.raises(InvalidPath):
        _parse("userName", "Group")


def test_expand_value_resolves_plain_nested_and_path_keys() -> None:
    tolerances = tolerances_for("generic")
    pairs = expand_value(REGISTRY, "User", {
        "nickname": "Babs",
        ENTERPRISE: {"department": "Tours", "manager": {"value": "m"}},
        "name.givenName": "B",
        f"{ENTERPRISE}:costCenter": "4130",
    }, tolerances)
    described = [(t.schema, t.attribute.name, t.sub.name if t.sub else None, v)
                 for t, v in pairs]
    assert described == [
        (CORE_USER, "nickName", None, "Babs"),
        (ENTERPRISE, "department", None, "Tours"),
        (ENTERPRISE, "manager", None, {"value": "m"}),
        (CORE_USER, "name", "givenName", "B"),
        (ENTERPRISE, "costCenter", None, "4130"),
    ]
    assert tolerances.fired == ["attribute_path_keys", "attribute_path_keys"]


def test_expand_value_null_extension_means_the_whole_extension() -> None:
    [(target, value)] = expand_value(REGISTRY, "User", {ENTERPRISE: None},
                                     tolerances_for("generic"))
    assert target.attribute is None and target.schema == ENTERPRISE and value is None


@pytest.mark.parametrize("value, detail", [
    ("name", "must be an object"),
    ({"shoeSize": 1}, "not an attribute"),
    ({ENTERPRISE: "Tours"}, "must be an object"),
    ({'emails[type eq "work"].value': "x"}, "value filter"),
    ({"name.givenName": "B"}, "attribute path"),
    ({f"{ENTERPRISE}:department": "X"}, "attribute path"),
])
def test_expand_value_refusals(value: object, detail: str) -> None:
    strict = tolerances_for("generic", {"attribute_path_keys": False})
    with pytest.raises(InvalidValue, match=detail):
        expand_value(REGISTRY, "User", value, strict)
