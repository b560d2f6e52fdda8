"""Value filters of PATCH paths, evaluated in memory (RFC 7644 §3.4.2.2, §3.5.2)."""
from __future__ import annotations

import dataclasses

import pytest

from scim_server.scim.errors import InvalidPath
from scim_server.scim.patch_filters import ValueFilter, parse_value_filter
from scim_server.scim.schema_registry import Attribute
from scim_server.scim.tolerances import tolerances_for

from .patch_support import REGISTRY

EMAILS = REGISTRY.resolve("User", "emails").attribute
PHOTOS = REGISTRY.resolve("User", "photos").attribute
WORK = {"value": "Babs@Example.com", "type": "work", "primary": True}
HOME = {"value": "babs@jensen.org", "type": "home"}


def _filter(text: str, attribute: Attribute = EMAILS, profile: str = "generic") -> ValueFilter:
    return parse_value_filter(text, attribute, tolerances_for(profile), path=f"x[{text}]")


@pytest.mark.parametrize("text, work, home", [
    ('type eq "work"', True, False),
    ('type eq "WORK"', True, False),
    ('TYPE Eq "work"', True, False),
    ('type ne "work"', False, True),
    ('value co "example"', True, False),
    ('value sw "babs@"', True, True),
    ('value ew ".ORG"', False, True),
    ("primary pr", True, False),
    ("display pr", False, False),
    ("primary eq true", True, False),
    ("primary eq false", False, False),
    ("primary ne true", False, True),
    ("display eq null", True, True),
    ("primary ne null", True, False),
    ('type eq "work" and primary eq true', True, False),
    ('type eq "home" or primary eq true', True, True),
    ('not (type eq "work")', False, True),
    ('(type eq "x" or type eq "home") and value pr', False, True),
    ('value gt "c"', False, False),
    ('value gt "BABS@F"', False, True),
    ('value ge "babs@j"', False, True),
    ('value lt "babs@j"', True, False),
    ('value le "Babs@Example.com"', True, False),
])
def test_comparisons_follow_the_attribute_case_rules(text: str, work: bool, home: bool) -> None:
    value_filter = _filter(text)
    assert (value_filter.matches(WORK), value_filter.matches(HOME)) == (work, home)


def test_case_exact_sub_attributes_compare_exactly() -> None:
    value_filter = _filter('value eq "https://x/A"', PHOTOS)
    assert value_filter.matches({"value": "https://x/A"})
    assert not value_filter.matches({"value": "https://x/a"})


def test_values_of_the_wrong_type_never_match() -> None:
    assert not _filter("primary eq true").matches({"primary": "true"})
    assert not _filter('type eq "work"').matches({"type": ["work"]})


def test_date_and_number_comparisons() -> None:
    stamp = Attribute("stamp", "dateTime")
    level = Attribute("level", "integer")
    parent = dataclasses.replace(EMAILS, sub_attributes={"stamp": stamp, "level": level})
    after = _filter('stamp gt "2020-01-01T00:00:00Z"', parent)
    assert after.matches({"stamp": "2021-06-01T10:00:00+02:00"})
    assert not after.matches({"stamp": "2019-06-01T10:00:00Z"})
    assert not after.matches({"stamp": "not a date"})
    assert _filter("level ge 3", parent).matches({"level": 7})
    assert not _filter("level ge 3", parent).matches({"level": True})


def test_as_element_describes_eq_conjunctions_only() -> None:
    assert _filter('type eq "work" and primary eq true').as_element() == {
        "type": "work", "primary": True}
    for text in ('type ne "work"', 'type eq "a" or type eq "b"', "value pr",
                 'type eq "a" and type eq "b"', "display eq null"):
        assert _filter(text).as_element() is None


def test_equal_values_reads_disjunctions_of_eq() -> None:
    assert _filter('value eq "a" or value eq "b"').equal_values("value") == ["a", "b"]
    assert _filter('value eq "a" and type eq "work"').equal_values("value") is None
    assert _filter('type eq "work"').equal_values("value") is None


def test_quoted_booleans_need_the_string_booleans_workaround() -> None:
    with pytest.raises(InvalidPath, match="true or false"):
        _filter('primary eq "True"')
    tolerances = tolerances_for("entra")
    entra = parse_value_filter('primary eq "True"', EMAILS, tolerances, path="roles")
    assert entra.matches(WORK) and not entra.matches(HOME)
    assert tolerances.fired == ["string_booleans"]


@pytest.mark.parametrize("text, detail", [
    ("", "malformed"),
    ('type eq "work', "malformed"),
    ("type eq work", "malformed"),
    ('type eq "a" and', "malformed"),
    ("type ~ 1", "malformed"),
    ('shoe eq "x"', "no sub-attribute"),
    ('emails.type eq "x"', "plain names"),
    ('urn:ietf:params:scim:schemas:core:2.0:User:type eq "x"', "plain names"),
    ('type[value eq "x"]', "malformed|nested|plain names"),
    ("primary gt true", "does not apply"),
    ('primary co "t"', "does not apply"),
    ("value gt null", "only eq and ne"),
    ("value eq 1", "quoted string"),
    ("value eq true", "quoted string"),
])
def test_malformed_or_meaningless_filters_are_invalid_path(text: str, detail: str) -> None:
    with pytest.raises(InvalidPath, match=detail):
        _filter(text)
