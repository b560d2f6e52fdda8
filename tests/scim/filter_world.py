"""A small directory of users and groups that filter tests query (see test_filters*.py)."""
from __future__ import annotations

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

