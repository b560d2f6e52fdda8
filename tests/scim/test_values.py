"""Typed attribute values (RFC 7643 §2.3)."""
from __future__ import annotations

import pytest

from scim_server.scim.errors import InvalidValue
from scim_server.scim.schema_registry import Attribute
from scim_server.scim.values import coerce_value, parse_datetime


@pytest.mark.parametrize("kind, good, bad", [
    ("string", "x", 1), ("boolean", True, "true"), ("integer", 3, 3.5), ("integer", -1, True),
    ("decimal", 2.5, "2.5"), ("dateTime", "2011-05-13T04:42:34Z", "yesterday"),
    ("binary", "aGVsbG8=", "not base64!"), ("reference", "https://x", 7),
])
def test_types(kind, good, bad):
    attribute = Attribute("a", kind)
    assert coerce_value(attribute, good, path="a") == good
    with pytest.raises(InvalidValue):
        coerce_value(attribute, bad, path="a")


def test_multi_valued_accepts_a_single_value_and_drops_nulls():
    attribute = Attribute("tags", "string", multi_valued=True)
    assert coerce_value(attribute, "x", path="tags") == ["x"]
    assert coerce_value(attribute, ["x", None], path="tags") == ["x"]


def test_single_valued_refuses_a_list():
    with pytest.raises(InvalidValue):
        coerce_value(Attribute("a", "string"), ["x"], path="a")


def test_datetime_without_zone_is_utc():
    assert parse_datetime("2020-01-01T00:00:00").utcoffset().total_seconds() == 0
