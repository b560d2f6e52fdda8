"""SCIM filters (RFC 7644 §3.4.2.2) translated to SQL and run on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import pytest
from flask import Flask
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from scim_server.models import (
    Account, Directory, DirectoryUser, DirectoryUserValue, Group, GroupMember, Organization,
)
from scim_server.scim.errors import InvalidFilter
from scim_server.scim.filters import compile_group_filter, compile_user_filter
from scim_server.scim.schema_registry import SchemaRegistry

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TEST_EXT = "urn:example:params:scim:schemas:extension:test:2.0:User"


def at(text_value: str) -> datetime:
    return datetime.fromisoformat(text_value).astimezone(timezone.utc)


@dataclass
class World:
    """One organization with a directory under test and a second one that must not leak."""

    session: Session
    registry: SchemaRegistry
    org_id: str
    directory_id: str
    other_directory_id: str
    ids: dict[str, str] = field(default_factory=dict)

    def user(self, name: str, user_name: str, *, directory: str | None = None,
             external_id: str | None = None, display_name: str | None = None,
             active: bool = True, attributes: dict[str, Any] | None = None,
             values: dict[str, list[dict[str, Any]]] | None = None,
             modified: str = "2024-01-01T00:00:00Z", created: str = "2023-01-01T00:00:00Z",
             version: int = 1) -> str:
        directory_id = directory or self.directory_id
        account = Account(org_id=self.org_id, display_name=display_name, source="synced",
                          directory_id=directory_id)
        self.session.add(account)
        self.session.flush()
        self.session.add(DirectoryUser(
            id=account.id, directory_id=directory_id, user_name=user_name,
            user_name_norm=user_name.lower()[:400], external_id=external_id,
            display_name=display_name,
            display_name_norm=display_name.lower()[:400] if display_name else None,
            active=active, attributes={"userName": user_name, **(attributes or {})},
            version=version, created_at=at(created), updated_at=at(modified)))
        self.session.flush()
        for attribute, elements in (values or {}).items():
            for position, element in enumerate(elements):
                value = element.get("value")
                self.session.add(DirectoryUserValue(
                    user_id=account.id, directory_id=directory_id, attribute=attribute,
                    position=position, value=value,
                    value_norm=value.lower()[:400] if value is not None else None,
                    type=element.get("type"), primary=bool(element.get("primary", False)),
                    display=element.get("display"), data=element))
        self.session.flush()
        self.ids[name] = account.id
        return account.id

    def group(self, name: str, display_name: str, *, directory: str | None = None,
              external_id: str | None = None, created: str = "2023-01-01T00:00:00Z") -> str:
        group = Group(org_id=self.org_id, directory_id=directory or self.directory_id,
                      source="synced", display_name=display_name,
                      display_name_norm=display_name.lower(), external_id=external_id,
                      attributes={"displayName": display_name}, created_at=at(created),
                      updated_at=at(created))
        self.session.add(group)
        self.session.flush()
        self.ids[name] = group.id
        return group.id

    def member(self, group: str, member: str, member_type: str = "User") -> None:
        self.session.add(GroupMember(group_id=self.ids[group], member_id=self.ids[member],
                                     member_type=member_type))
        self.session.flush()

    def filler(self, count: int) -> None:
        """`count` plain users with one email each, so a planner prefers selective indexes."""
        ids = [str(uuid.uuid4()) for _ in range(count)]
        d = self.directory_id
        self.session.execute(insert(Account), [
            {"id": i, "org_id": self.org_id, "source": "synced", "directory_id": d} for i in ids])
        self.session.execute(insert(DirectoryUser), [
            {"id": i, "directory_id": d, "user_name": f"filler{n}", "user_name_norm": f"filler{n}",
             "external_id": f"F-{n}", "attributes": {}} for n, i in enumerate(ids)])
        self.session.execute(insert(DirectoryUserValue), [
            {"user_id": i, "directory_id": d, "attribute": "emails", "value": f"f{n}@f.com",
             "value_norm": f"f{n}@f.com", "data": {}} for n, i in enumerate(ids)])
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("ANALYZE directory_users"))
            self.session.execute(text("ANALYZE directory_user_values"))

    def names(self, ids: Iterable[str]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id[i] for i in ids}

    def users(self, filter_text: str, registry: SchemaRegistry | None = None) -> set[str]:
        """Users of the directory matching the filter, in both forms the API offers."""
        registry = registry or self.registry
        results = []
        for directory_id in (None, self.directory_id):
            predicate = compile_user_filter(registry, filter_text, directory_id=directory_id)
            stmt = select(DirectoryUser.id).where(
                DirectoryUser.directory_id == self.directory_id, predicate)
            results.append(self.names(self.session.scalars(stmt)))
        assert results[0] == results[1], f"correlated and direct forms differ: {filter_text}"
        return results[0]

    def groups(self, filter_text: str) -> set[str]:
        results = []
        for directory_id in (None, self.directory_id):
            predicate = compile_group_filter(self.registry, filter_text, directory_id=directory_id)
            stmt = select(Group.id).where(Group.directory_id == self.directory_id, predicate)
            results.append(self.names(self.session.scalars(stmt)))
        assert results[0] == results[1], f"correlated and direct forms differ: {filter_text}"
        return results[0]


@pytest.fixture
def make_world(app: Flask, db_session: Session):
    """Factory: an organization with two directories and a way to add users and groups."""

    def _make(registry: SchemaRegistry | None = None) -> World:
        org = Organization(name="Acme", settings={})
        db_session.add(org)
        db_session.flush()
        main = Directory(org_id=org.id, name="main", idp="generic", settings={})
        other = Directory(org_id=org.id, name="other", idp="generic", settings={})
        db_session.add_all([main, other])
        db_session.flush()
        return World(db_session, registry or app.extensions["scim_server.schemas"], org.id,
                     main.id, other.id)

    return _make


@pytest.fixture
def world(make_world) -> World:
    """Seven users, nested (and cyclic) groups, and a look-alike in another directory."""
    w = make_world()
    w.user("alice", "Alice@Example.com", external_id="EXT-1", display_name="Alice Smith",
           modified="2024-03-01T12:00:00Z", created="2023-05-01T00:00:00Z", version=3,
           attributes={"name": {"givenName": "Alice", "familyName": "Smith"},
                       "title": "Engineer", "nickName": "",
                       ENTERPRISE: {"department": "R&D", "employeeNumber": "100",
                                    "manager": {"value": "mgr-1"}}},
           values={"emails": [{"value": "alice@a.com", "type": "work", "primary": True},
                              {"value": "Alice@X.com", "type": "home"}],
                   "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
                   "addresses": [{"type": "work", "locality": "Zürich", "country": "CH"}]})
    w.user("bob", "bob", external_id="ext-1", display_name="Bob", active=False,
           modified="2024-02-01T00:00:00Z", version=10,
           attributes={"title": "true", "name": {"givenName": "Bob"}},
           values={"emails": [{"value": "bob@x.com", "type": "work"}],
                   "roles": [{"value": "admin", "primary": True}]})
    w.user("carol", "carol%off", modified="2024-03-01T14:00:00+02:00",
           attributes={ENTERPRISE: {"department": "Sales"}},
           values={"emails": [{"value": "carol@x.com", "type": "WORK"}]})
    w.user("dave", "a_dave", external_id="EXT-10", modified="2024-01-15T00:00:00Z",
           values={"emails": [{"value": "dave@a.com", "type": "home", "display": "Dave Home"}]})
    w.user("abe", "abe", modified="2023-12-31T23:59:59Z")
    w.user("back", "back\\slash", modified="2024-01-20T00:00:00Z")
    w.user("erin", "erin", modified="2024-01-25T00:00:00Z")
    w.user("twin", "Alice@Example.com", directory=w.other_directory_id, external_id="EXT-1",
           attributes={"title": "Engineer"},
           values={"emails": [{"value": "alice@a.com", "type": "work"}]})
    w.group("eng", "Engineering", external_id="G-1", created="2024-01-01T00:00:00Z")
    w.group("all", "All Staff")
    w.group("cyc_a", "Cycle A")
    w.group("cyc_b", "Cycle B")
    w.group("empty", "Empty")
    w.group("far", "Engineering", directory=w.other_directory_id)
    w.member("eng", "alice")
    w.member("all", "eng", "Group")
    w.member("all", "bob")
    w.member("cyc_a", "cyc_b", "Group")
    w.member("cyc_b", "cyc_a", "Group")
    w.member("cyc_b", "carol")
    w.member("far", "dave")
    return w


EVERYONE = {"alice", "bob", "carol", "dave", "abe", "back", "erin"}


def check(world: World, cases: list[tuple[str, set[str]]]) -> None:
    wrong = [(f, world.users(f), expected) for f, expected in cases if world.users(f) != expected]
    assert not wrong, "\n".join(f"{f}: got {sorted(g)}, expected {sorted(e)}" for f, g, e in wrong)


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
    ('emails eq "x"', "complex"),
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


@pytest.fixture
def typed_registry(tmp_path: Path) -> SchemaRegistry:
    """The shipped schemas plus an extension with every scalar type, for typed comparisons."""
    shutil.copytree(SCHEMAS_DIR, tmp_path / "schemas")
    attrs = [{"name": n, "type": t, "multiValued": False, "caseExact": c}
             for n, t, c in [("level", "integer", False), ("score", "decimal", False),
                             ("hiredAt", "dateTime", False), ("remote", "boolean", False),
                             ("badge", "string", True)]]
    (tmp_path / "schemas" / "TestExtension.json").write_text(json.dumps(
        {"id": TEST_EXT, "name": "Test", "attributes": attrs}))
    rtype_path = tmp_path / "schemas" / "resource-types" / "User.json"
    rtype = json.loads(rtype_path.read_text())
    rtype["schemaExtensions"].append({"schema": TEST_EXT, "required": False})
    rtype_path.write_text(json.dumps(rtype))
    return SchemaRegistry.load(tmp_path / "schemas")


def test_numbers_datetimes_booleans_and_case_exact_strings_in_json(
        make_world, typed_registry: SchemaRegistry) -> None:
    w = make_world(typed_registry)
    w.user("u1", "u1", attributes={TEST_EXT: {"level": 5, "score": 2.5, "remote": True,
                                              "hiredAt": "2024-01-01T10:00:00+02:00",
                                              "badge": "AbC"}})
    w.user("u2", "u2", attributes={TEST_EXT: {"level": 12, "score": -1.5, "remote": False,
                                              "hiredAt": "2023-06-01T00:00:00Z",
                                              "badge": "abc"}})
    w.user("u3", "u3")
    x = TEST_EXT
    cases = [
        (f"{x}:level gt 9", {"u2"}), (f"{x}:level eq 5", {"u1"}),
        (f"{x}:level le 12", {"u1", "u2"}),
        (f"{x}:level ne 5", {"u2", "u3"}), (f"{x}:score lt 0", {"u2"}),
        (f"{x}:score ge 2.5", {"u1"}), (f"{x}:score gt -2", {"u1", "u2"}),
        (f'{x}:hiredAt lt "2024-01-01T09:00:00Z"', {"u1", "u2"}),
        (f'{x}:hiredAt eq "2024-01-01T08:00:00Z"', {"u1"}),
        (f'{x}:hiredAt gt "2023-06-01T00:00:00Z"', {"u1"}),
        (f"{x}:remote eq true", {"u1"}), (f"{x}:remote ne true", {"u2", "u3"}),
        (f'{x}:badge eq "abc"', {"u2"}), (f'{x}:badge co "bC"', {"u1"}),
        (f'{x}:badge co "B"', set()), (f'{x}:badge co "b"', {"u1", "u2"}),
        (f'{x}:badge sw "ab"', {"u2"}), (f'{x}:badge ew "C"', {"u1"}),
        (f"{x}:level pr", {"u1", "u2"}),
    ]
    wrong = [(f, w.users(f), e) for f, e in cases if w.users(f) != e]
    assert not wrong, wrong
    for bad in (f"{x}:level co 1", f'{x}:level eq "5"', f"{x}:hiredAt gt 5",
                f"{x}:remote gt false"):
        with pytest.raises(InvalidFilter):
            compile_user_filter(typed_registry, bad)


def _plan(session: Session, backend: str, stmt: Any) -> str:
    sql = str(stmt.compile(dialect=session.get_bind().dialect,
                           compile_kwargs={"literal_binds": True}))
    if backend == "sqlite":
        rows = session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(str(row[-1]) for row in rows)
    session.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in session.execute(text("EXPLAIN " + sql)))


@pytest.mark.parametrize(("filter_text", "sqlite_index", "postgres_index"), [
    ('userName eq "bob"', "user_name_norm=?", "uq_directory_users_directory_id"),
    ('externalId eq "ext-1"', "ix_directory_users_external_id", "ix_directory_users_external_id"),
    ('emails[value eq "Bob@X.com"]', "ix_directory_user_values_lookup",
     "ix_directory_user_values_lookup"),
    ('emails.value eq "bob@x.com"', "ix_directory_user_values_lookup",
     "ix_directory_user_values_lookup"),
])
def test_lookups_use_an_index(world: World, backend: str, filter_text: str, sqlite_index: str,
                              postgres_index: str) -> None:
    world.filler(300)
    stmt = select(DirectoryUser.id).where(
        DirectoryUser.directory_id == world.directory_id,
        compile_user_filter(world.registry, filter_text, directory_id=world.directory_id))
    plan = _plan(world.session, backend, stmt)
    assert (sqlite_index if backend == "sqlite" else postgres_index) in plan, plan
    assert "SCAN directory_user" not in plan and "Seq Scan" not in plan, plan
    assert world.names(world.session.scalars(stmt)) == {"bob"}


def test_correlated_form_probes_values_by_index(world: World, backend: str) -> None:
    world.filler(300)
    stmt = select(DirectoryUser.id).where(
        DirectoryUser.directory_id == world.directory_id,
        compile_user_filter(world.registry, 'emails[value eq "bob@x.com"]'))
    plan = _plan(world.session, backend, stmt)
    assert "ix_directory_user_values_" in plan, plan
    assert "SCAN directory_user_values" not in plan and "Seq Scan" not in plan, plan
