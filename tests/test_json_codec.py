"""Response JSON through orjson: the document the standard library writes, only faster."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from scim_server import json_codec

DOCUMENTS = [
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "a", "active": True,
     "name": {"givenName": "Zoë", "familyName": "Ångström"}, "emails": [], "n": None,
     "x": 1.5, "y": -3, "z": 1e-7, "big": 2**63 - 1, "s": "tab\t\"quote\" \\ \u2028 😀"},
    [1, 2.0, 0.1, "a", {"b": [{}]}, 1e16, 1.5e300, -2.5e-10, "1e5 in a string"],
    "plain",
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_scim_bodies_are_the_compact_standard_library_output(document):
    expected = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    assert json_codec.dumps(document) == expected


@pytest.mark.parametrize("document", [{"big": 2**70}, {1: "int key"}])
def test_what_orjson_refuses_falls_back_to_the_standard_library(document):
    assert json_codec.dumps(document) == json.dumps(document, ensure_ascii=False,
                                                    separators=(",", ":")).encode()


def test_types_only_the_default_knows_go_through_it():
    app = Flask("t")
    default = DefaultJSONProvider(app).default
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert json_codec.dumps({"t": when}, default) == \
        json.dumps({"t": when}, default=default, separators=(",", ":")).encode()

    class Colour(str, Enum):
        RED = "red"

    @dataclass
    class Point:
        x: int

    document = {"c": Colour.RED, "p": Point(1)}
    assert json_codec.dumps(document, default) == json.dumps(
        document, default=default, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("document", [{"a": "b", "c": [1, None]}, {"name": "Zoë"},
                                      {"b": 1, "a": 2}])
@pytest.mark.parametrize("sort_keys", [False, True])
def test_flask_responses_are_byte_identical_to_the_default_provider(document, sort_keys):
    fast_app, slow_app = Flask("fast"), Flask("slow")
    fast_app.json = json_codec.FastJSONProvider(fast_app)
    for app in (fast_app, slow_app):
        app.json.sort_keys = sort_keys  # type: ignore[attr-defined]
    with fast_app.app_context():
        fast = fast_app.json.response(document).get_data()
    with slow_app.app_context():
        slow = slow_app.json.response(document).get_data()
    assert fast == slow
