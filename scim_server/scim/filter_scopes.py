"""The values of multi-valued attributes, as rows a filter condition applies to one at a time.

RFC 7644 §3.4.2.2: a filter on a multi-valued attribute matches when *some* value
matches, and the conditions inside `attr[...]` must hold for the *same* value. Each scope
below gives the sub-attributes of one value as SQL operands, and `wrap` turns "this
value meets the condition" into "the resource has such a value".
"""
from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import and_, case, func, or_, select, tuple_
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from ..models import DirectoryUser, DirectoryUserValue, Group, GroupMember
from ..services import group_nesting
from .errors import InvalidFilter
from .filter_compare import Operand, json_operand, text_operand
from .schema_registry import Attribute


class ElementScope(Protocol):
    """The values of one multi-valued attribute, each a row that conditions apply to."""

    attribute: Attribute
    label: str

    def operand(self, sub: Attribute) -> Operand: ...

    def wrap(self, condition: ColumnElement[bool]) -> ColumnElement[bool]: ...


class ValueRows:
    """The elements of a multi-valued User attribute: `DirectoryUserValue` rows."""

    def __init__(self, attribute: Attribute, directory_id: str | None):
        self.attribute, self.label = attribute, attribute.name
        self.directory_id = directory_id
        self.row = aliased(DirectoryUserValue)

    def operand(self, sub: Attribute) -> Operand:
        row, name, label = self.row, sub.name, f"{self.label}.{sub.name}"
        if name == "value":
            return text_operand(row.value, row.value_norm, sub, label)
        if name in ("type", "display"):
            return text_operand(getattr(row, name), None, sub, label)
        if name == "primary" and sub.type == "boolean":
            return Operand(row.primary, "boolean", label, nullable=False)
        return json_operand(row.data, (name,), sub, label)

    def wrap(self, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """Some element of the user's attribute meets `condition`."""
        row = self.row
        where = (row.attribute == self.attribute.name, condition)
        if self.directory_id is not None:
            # Uncorrelated: starts from ix_directory_user_values_lookup, then the user's key.
            return DirectoryUser.id.in_(
                select(row.user_id).where(row.directory_id == self.directory_id, *where))
        return select(row.id).where(row.user_id == DirectoryUser.id,
                                    row.directory_id == DirectoryUser.directory_id,
                                    *where).exists()

    def wrap_all(self, conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
        """For each condition, some element of the attribute meets it: one sub-query.

        `emails[value co "a"] and emails[value co "b"]` may match two different emails, so
        the conditions cannot share one row; instead the user's matching rows are grouped
        and each condition must hold for at least one of them (`HAVING max(...) = 1`).
        """
        row = self.row
        hits = [func.max(case((condition, 1), else_=0)) == 1 for condition in conditions]
        where = [row.attribute == self.attribute.name, or_(*conditions)]
        if self.directory_id is not None:
            return DirectoryUser.id.in_(
                select(row.user_id).where(row.directory_id == self.directory_id, *where)
                .group_by(row.user_id).having(and_(*hits)))
        return select(row.user_id).where(row.user_id == DirectoryUser.id,
                                         row.directory_id == DirectoryUser.directory_id, *where
                                         ).group_by(row.user_id).having(and_(*hits)).exists()

    def first_value(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        """`expr` of the primary element, else of the first (RFC 7644 §3.4.2.3)."""
        row = self.row
        return (select(expr).where(row.user_id == DirectoryUser.id,
                                   row.attribute == self.attribute.name)
                .order_by(row.primary.desc(), row.position).limit(1).scalar_subquery())


class GroupClosure:
    """A User's `groups`: the directory's groups it belongs to, directly or through nesting.

    The walk starts from the groups the condition selects and goes down through member
    groups (RFC 7643 §4.1.2), so its cost follows those groups, not the whole directory.
    `UNION` (not `UNION ALL`) stops it on cycles.
    """

    def __init__(self, attribute: Attribute, directory_id: str | None):
        self.attribute, self.label = attribute, attribute.name
        self.directory_id = directory_id
        self.group = aliased(Group)

    def operand(self, sub: Attribute) -> Operand:
        label = f"{self.label}.{sub.name}"
        if sub.name == "value":
            # Group ids are server-assigned lower-case UUIDs: a lowered literal keeps the
            # caseExact=false rule and still looks the id up by primary key.
            return Operand(self.group.id, "string", label, fold=not sub.case_exact,
                           nullable=False)
        if sub.name == "display":
            return text_operand(self.group.display_name, self.group.display_name_norm, sub,
                                label, nullable=False)
        raise InvalidFilter(f"{label} cannot be filtered; use groups.value or groups.display")

    def wrap(self, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """The user is a member, direct or nested, of a group that meets `condition`."""
        group = self.group
        seed = select(group.id.label("group_id"), group.directory_id.label("directory_id"))
        if self.directory_id is not None:
            seed = seed.where(group.directory_id == self.directory_id, condition)
        else:
            seed = seed.where(group.directory_id.is_not(None), condition)
        reached = group_nesting.walk(seed, up=False, name=None, nesting=True)
        member = aliased(GroupMember)
        users = select(member.member_id).where(member.group_id == reached.c.group_id,
                                               member.member_type == "User")
        if self.directory_id is not None:
            return DirectoryUser.id.in_(users)
        return tuple_(DirectoryUser.id, DirectoryUser.directory_id).in_(
            users.add_columns(reached.c.directory_id))


class MemberRows:
    """A Group's `members`: `GroupMember` rows, looked up by member id first."""

    def __init__(self, attribute: Attribute):
        self.attribute, self.label = attribute, attribute.name
        self.row = aliased(GroupMember)

    def operand(self, sub: Attribute) -> Operand:
        label = f"{self.label}.{sub.name}"
        if sub.name == "value":
            # Member ids are server-assigned lower-case UUIDs, like group ids.
            return Operand(self.row.member_id, "string", label, fold=not sub.case_exact,
                           nullable=False)
        if sub.name == "type":
            return text_operand(self.row.member_type, None, sub, label, nullable=False)
        raise InvalidFilter(f"{label} cannot be filtered; use members.value or members.type")

    def wrap(self, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """The group has a member row that meets `condition` (ix_group_members_member)."""
        return Group.id.in_(select(self.row.group_id).where(condition))
