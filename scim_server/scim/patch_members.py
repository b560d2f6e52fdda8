"""Group membership edits from PATCH operations, without ever reading the member list.

A group may have 300,000 members, so `members` never enters the attributes document:
each operation on it (RFC 7644 §3.5.2, the Group examples) becomes an edit the caller
applies row by row. Edits compose in request order into one `MemberChanges`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidPath, InvalidValue
from .patch_paths import Target
from .schema_registry import CORE_GROUP, Attribute
from .tolerances import EMPTY_MEMBERS_REPLACE, REMOVE_VALUE_SELECTS, Tolerances
from .values import coerce_value


@dataclass
class MemberChanges:
    """Membership edits, in request order, to apply to the group's member rows.

    When `replace_all` is set the members become exactly that list (`[]`: none) and
    `add`/`remove` are empty. Otherwise the ids in `remove` leave and the members in
    `add` join; the two never share an id, so the order of the two steps is free.
    Adding a member that is already there, or removing one that is not, is a no-op.
    """

    add: list[dict[str, Any]] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    replace_all: list[dict[str, Any]] | None = None

    def add_members(self, members: list[dict[str, Any]]) -> None:
        if self.replace_all is not None:
            self.replace_all = _unique(self.replace_all + members)
            return
        joining = {m["value"] for m in members}
        self.remove = [i for i in self.remove if i not in joining]
        self.add = _unique(self.add + members)

    def remove_members(self, ids: list[str]) -> None:
        leaving = set(ids)
        if self.replace_all is not None:
            self.replace_all = [m for m in self.replace_all if m["value"] not in leaving]
            return
        self.add = [m for m in self.add if m["value"] not in leaving]
        self.remove = list(dict.fromkeys(self.remove + ids))

    def replace_members(self, members: list[dict[str, Any]]) -> None:
        self.add, self.remove, self.replace_all = [], [], _unique(members)


def is_members(target: Target) -> bool:
    """Whether the target is a Group's `members`, which the engine never materialises."""
    return (target.schema == CORE_GROUP and target.attribute is not None
            and target.attribute.name == "members")


def apply_member_operation(changes: MemberChanges, op: str, target: Target, value: Any,
                           tolerances: Tolerances) -> None:
    """Turn one add/replace/remove on `members` into edits of `changes`."""
    attribute = target.attribute
    assert attribute is not None
    if target.value_filter is not None or target.sub is not None:
        ids = target.value_filter.equal_values("value") if target.value_filter else None
        if op != "remove" or target.sub is not None or ids is None:
            raise InvalidPath(f"path {target.text!r} is not supported: members can be "
                              'selected only to remove them, as members[value eq "id"]')
        if value is not None:
            raise InvalidValue("a remove with a value filter in its path carries no value")
        changes.remove_members([str(i) for i in ids])
    elif op == "add":
        changes.add_members(member_values(attribute, value))
    elif op == "replace" and value is not None:
        members = member_values(attribute, value)
        if not members and not tolerances.use(EMPTY_MEMBERS_REPLACE):
            raise InvalidValue("replace members with an empty list is not accepted; "
                               "remove members instead")
        changes.replace_members(members)
    elif value is None:
        changes.replace_members([])
    elif tolerances.use(REMOVE_VALUE_SELECTS):
        changes.remove_members([m["value"] for m in member_values(attribute, value)])
    else:
        raise InvalidValue('a remove carries no value (RFC 7644 §3.5.2.2): select members '
                           'with a filter, as path members[value eq "id"]')


def member_values(attribute: Attribute, value: Any) -> list[dict[str, Any]]:
    """The members in a value, each with a string `value` id and a canonical `type`."""
    members = coerce_value(attribute, value, path="members")
    type_attribute = attribute.sub("type")
    canonical = {v.lower(): v for v in (type_attribute.canonical_values if type_attribute
                                        else ())}
    for member in members:
        if not member.get("value"):
            raise InvalidValue("every member needs a value: the id of a User or Group")
        if "type" in member:
            kind = canonical.get(member["type"].lower())
            if kind is None:
                raise InvalidValue(f"member type {member['type']!r} is not one of "
                                   f"{', '.join(canonical.values())}")
            member["type"] = kind
    return members


def _unique(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The members without repeated ids; the first mention wins."""
    seen: dict[str, dict[str, Any]] = {}
    for member in members:
        seen.setdefault(member["value"], member)
    return list(seen.values())
