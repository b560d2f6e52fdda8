"""SCIM filters (RFC 7644 §3.4.2.2) translated to SQL and run on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from flask import Flask

from scim_server.scim.errors import InvalidFilter
from scim_server.scim.filters import compile_group_filter, compile_user_filter

from .filter_world import ENTERPRISE, EVERYONE, World, check


def test_operators_on_a_case_insensitive_column(world: World) -> None:
    check(world, [
        ('userName eq "alice@example.com"', {"alice"}),
        ('userName eq "ALICE@EXAMPLE.COM"', {"alice"}),
        ('userName ne "BOB"', EVERYONE - {"bob"}),
        ('userName co "DAVE"', {"dave"}),
        ('userName sw "A"', {"alice", "dave", "abe"}),
        ('userName ew ".COM"', {"alice"}),
        ('userName gt "c"', {"carol", "erin"}),
        ('userName ge "carol%off"', {"carol", "erin"}),
        ('userName lt "b"', {"alice", "dave", "abe"}),
        ('userName le "bob"', {"alice", "dave", "abe", "back", "bob"}),
        ('userName pr', EVERYONE),
        ('USERNAME Eq "bob"', {"bob"}),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"', {"bob"}),
    ])


def test_like_wildcards_in_values_match_literally(world: World) -> None:
    check(world, [
        ('userName co "%"', {"carol"}),
        ('userName sw "a_"', {"dave"}),
        ('userName co "_"', {"dave"}),
        ('userName ew "%off"', {"carol"}),
        (r'userName co "\\"', {"back"}),
        (r'userName eq "back\\slash"', {"back"}),
        ('userName co ""', EVERYONE),
    ])


def test_case_exact_attributes_compare_exactly(world: World) -> None:
    alice = world.ids["alice"]
    check(world, [
        ('externalId eq "EXT-1"', {"alice"}),
        ('externalId eq "ext-1"', {"bob"}),
        ('externalId co "EXT"', {"alice", "dave"}),
        ('externalId sw "ext"', {"bob"}),
        ('externalId ew "T-1"', {"alice"}),
        ('externalId gt "EXT-1"', {"dave", "bob"}),
        ('externalId pr', {"alice", "bob", "dave"}),
        ('externalId eq null', {"carol", "abe", "back", "erin"}),
        ('externalId ne "EXT-1"', EVERYONE - {"alice"}),
        (f'id eq "{alice}"', {"alice"}),
        (f'id eq "{alice.upper()}"', set()),
        ('displayName eq "alice smith"', {"alice"}),
        ('displayName pr', {"alice", "bob"}),
    ])


def test_booleans_and_literal_types(world: World) -> None:
    check(world, [
        ("active eq false", {"bob"}),
        ("active eq true", EVERYONE - {"bob"}),
        ("active ne true", {"bob"}),
        ("active pr", EVERYONE),
        ('title eq "true"', {"bob"}),
        ('title eq "ENGINEER"', {"alice"}),
        ('title co "gin"', {"alice"}),
        ("title pr", {"alice", "bob"}),
        ("nickName pr", set()),
        ("title eq null", EVERYONE - {"alice", "bob"}),
        ("title ne null", {"alice", "bob"}),
    ])


def test_datetimes_compare_as_instants(world: World) -> None:
    check(world, [
        ('meta.lastModified gt "2024-02-15T00:00:00Z"', {"alice", "carol"}),
        ('meta.lastModified eq "2024-03-01T14:00:00+02:00"', {"alice", "carol"}),
        ('meta.lastModified lt "2024-01-01T00:00:00Z"', {"abe"}),
        ('meta.lastModified ge "2024-02-01T00:00:00Z"', {"alice", "bob", "carol"}),
        ('meta.lastModified le "2024-01-15T01:00:00+01:00"', {"abe", "dave"}),
        ('meta.lastModified ne "2024-03-01T12:00:00Z"', EVERYONE - {"alice", "carol"}),
        ('meta.created gt "2023-02-01T00:00:00Z"', {"alice"}),
        ('meta.version eq "W/\\"3\\""', {"alice"}),
        ('meta.version sw "W/\\"1"', EVERYONE - {"alice"}),
        ('meta.version eq "W/\\"10\\""', {"bob"}),
        ('meta.resourceType eq "User"', EVERYONE),
        ("meta pr", EVERYONE),
    ])


def test_complex_and_extension_attributes(world: World) -> None:
    check(world, [
        ('name.givenName sw "al"', {"alice"}),
        ('name[givenName eq "bob"]', {"bob"}),
        ('name[givenName eq "alice" and familyName eq "smith"]', {"alice"}),
        ("name pr", {"alice", "bob"}),
        (f'{ENTERPRISE}:department eq "r&d"', {"alice"}),
        (f'{ENTERPRISE.lower()}:department eq "Sales"', {"carol"}),
        (f'{ENTERPRISE}:manager.value eq "mgr-1"', {"alice"}),
        (f"{ENTERPRISE}:manager pr", {"alice"}),
        (f'{ENTERPRISE}:department pr and not ({ENTERPRISE}:department eq "sales")', {"alice"}),
        (f'schemas eq "{ENTERPRISE}"', {"alice", "carol"}),
        ('schemas eq "urn:ietf:params:scim:schemas:core:2.0:User"', EVERYONE),
        ('schemas ne "urn:example:unknown"', EVERYONE),
    ])


def test_logic_grouping_and_precedence(world: World) -> None:
    check(world, [
        # `and` binds tighter than `or`: bob matches although inactive.
        ('userName eq "bob" or userName eq "abe" and active eq true', {"bob", "abe"}),
        ('(userName eq "bob" or userName eq "abe") and active eq true', {"abe"}),
        ('active eq true and userName eq "abe" or userName eq "bob"', {"abe", "bob"}),
        ('not (userName eq "bob" or userName eq "abe")', EVERYONE - {"bob", "abe"}),
        ("not (title pr) and active eq true", {"carol", "dave", "abe", "back", "erin"}),
        ('not (title eq "true")', EVERYONE - {"bob"}),
        ('not (not (title eq "true"))', {"bob"}),
        ('userName sw "a" and (externalId pr or emails pr) and not (userName eq "abe")',
         {"alice", "dave"}),
    ])


def test_multi_valued_conditions_hold_on_the_same_element(world: World) -> None:
    check(world, [
        # alice has a work email at a.com and a home email at x.com: no single element fits.
        ('emails[type eq "work" and value co "@x.com"]', {"bob", "carol"}),
        ('emails.type eq "work" and emails.value co "@x.com"', {"alice", "bob", "carol"}),
        ('emails[value eq "ALICE@A.COM"]', {"alice"}),
        ('emails.value eq "alice@x.com"', {"alice"}),
        ('emails[type eq "work"].value co "bob"', {"bob"}),
        ("emails pr", {"alice", "bob", "carol", "dave"}),
        ("emails eq null", {"abe", "back", "erin"}),
        ('emails[not (type eq "work")]', {"alice", "dave"}),
        ("emails[primary eq true]", {"alice"}),
        ('emails[display co "HOME"]', {"dave"}),
        ('emails[type eq "work" or type eq "home"] and not (emails[type eq "home"])',
         {"bob", "carol"}),
        ('phoneNumbers.value sw "+1"', {"alice"}),
        ('addresses[locality eq "zürich" and country eq "ch"]', {"alice"}),
        ('roles[value eq "admin" and primary eq true]', {"bob"}),
        ("roles pr", {"bob"}),
    ])


def test_group_membership_follows_nested_groups(world: World) -> None:
    eng, everyone, cycle = world.ids["eng"], world.ids["all"], world.ids["cyc_a"]
    check(world, [
        (f'groups.value eq "{eng}"', {"alice"}),
        (f'groups[value eq "{everyone}"]', {"alice", "bob"}),
        (f'groups.value eq "{eng.upper()}"', {"alice"}),
        (f'groups.value eq "{cycle}"', {"carol"}),
        ('groups[display eq "all staff"]', {"alice", "bob"}),
        ('groups.display eq "engineering"', {"alice"}),
        ("groups pr", {"alice", "bob", "carol"}),
        ("not (groups pr)", {"dave", "abe", "back", "erin"}),
        (f'groups.value eq "{eng}" and emails[type eq "work"]', {"alice"}),
    ])


def test_group_filters(world: World) -> None:
    alice, bob = world.ids["alice"], world.ids["bob"]
    cases = [
        ('displayName eq "engineering"', {"eng"}),
        ('displayName sw "a"', {"all"}),
        ('displayName co "_"', set()),
        (f'members[value eq "{alice}"]', {"eng"}),
        (f'members.value eq "{bob.upper()}"', {"all"}),
        ('members[type eq "group"]', {"all", "cyc_a", "cyc_b"}),
        ("members pr", {"eng", "all", "cyc_a", "cyc_b"}),
        ("not (members pr)", {"empty"}),
        ('externalId eq "G-1"', {"eng"}),
        ('meta.created ge "2024-01-01T00:00:00Z"', {"eng"}),
        (f'id eq "{world.ids["all"]}"', {"all"}),
        ('meta.resourceType eq "Group"', {"eng", "all", "cyc_a", "cyc_b", "empty"}),
    ]
    wrong = [(f, world.groups(f), e) for f, e in cases if world.groups(f) != e]
    assert not wrong, wrong


def test_values_longer_than_the_norm_column_still_compare_in_full(world: World) -> None:
    address = "X" * 440 + "@Long.example"
    world.user("long", "long", values={"emails": [{"value": address, "type": "work"}]})
    lowered = address.lower()
    check(world, [
        (f'emails.value eq "{address}"', {"long"}),
        (f'emails.value eq "{lowered[:400]}"', set()),
        (f'emails.value eq "{lowered}x"', set()),
        (f'emails.value sw "{lowered[:420]}"', {"long"}),
        (f'emails.value sw "{lowered[:399]}y"', set()),
        ('emails.value ew "@LONG.example"', {"long"}),
        ('emails.value co "x@long"', {"long"}),
        ('emails.value co "@long.examplez"', set()),
    ])


BAD_FILTERS = [
    ("", "empty"),
    ('userName eq "bob', "not closed"),
    ("userName eq", "ends too early"),
    ('userName foo "x"', "not an operator"),
    ('(userName eq "x"', "ends too early"),
    ('userName eq "x")', "unexpected ')'"),
    ('userName eq "x" and', "ends too early"),
    ("active eq True", "lower case"),
    ('userName eq "a" userName', "unexpected"),
    ("userName eq #", "unexpected character '#'"),
    ('nope eq "x"', "'nope' is not an attribute"),
    ('emails.nope eq "x"', "'emails.nope' is not an attribute"),
    ('emails[nope eq "x"]', "no sub-attribute 'nope'"),
    (f'{ENTERPRISE}:nope eq "x"', "is not an attribute"),
    ('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"', "is not an attribute"),
    ("active gt true", "only eq, ne and pr"),
    ('active eq "true"', "without quotes"),
    ('active co "t"', "only eq, ne and pr"),
    ("userName eq true", "quoted string"),
    ("userName gt 5", "quoted string"),
    ('meta.lastModified gt "yesterday"', "RFC 3339"),
    ('meta.lastModified co "2024"', "dateTime"),
    ('x509Certificates.value co "AA"', "binary"),
    ('name co "x"', "complex"),
    ("title gt null", "null can only be used with eq or ne"),
    ('password eq "x"', "never returned"),
    ('meta.location eq "x"', "cannot be filtered"),
    ('groups.type eq "direct"', "cannot be filtered"),
    ('emails[value[type eq "x"] pr]', "cannot be nested"),
    ('emails[emails.value eq "x"]', "sub-attribute of emails only"),
    ('userName[value eq "x"]', "complex attributes only"),
    ('members[value eq "x"]', "is not an attribute"),
    (r'title eq "a\x"', "not a valid JSON string"),
    (r'title eq "\u0000"', "NUL"),
    ("title eq 1e999", "out of range"),
    ('schemas co "urn"', "schemas takes eq, ne or pr"),
    ('userName eq "' + "x" * 4100 + '"', "maximum is 4096"),
    ("(" * 17 + "userName pr" + ")" * 17, "nests brackets 17 deep"),
    (" or ".join(["userName pr"] * 201), "201 comparisons"),
]


@pytest.mark.parametrize(("filter_text", "detail"), BAD_FILTERS)
def test_bad_filters_are_invalid_filter(app: Flask, filter_text: str, detail: str) -> None:
    registry = app.extensions["scim_server.schemas"]
    with pytest.raises(InvalidFilter) as raised:
        compile_user_filter(registry, filter_text)
    assert raised.value.status == 400 and raised.value.scim_type == "invalidFilter"
    assert detail in raised.value.detail


def test_escaped_quotes_in_strings_are_json_escapes(world: World) -> None:
    world.user("quote", 'say "hi"')
    check(world, [(r'userName eq "say \"hi\""', {"quote"}), (r'userName co "\""', {"quote"}),
                  (r'userName eq "\u0073ay \"hi\""', {"quote"})])


def test_group_only_and_user_only_attributes_do_not_cross(app: Flask) -> None:
    registry = app.extensions["scim_server.schemas"]
    with pytest.raises(InvalidFilter, match="not an attribute of Group"):
        compile_group_filter(registry, 'userName eq "x"')
    with pytest.raises(InvalidFilter, match="members.display cannot be filtered"):
        compile_group_filter(registry, 'members[display eq "x"]')
