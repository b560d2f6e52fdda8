"""SCIM filters (RFC 7644 §3.4.2.2) as SQLAlchemy predicates on the User and Group tables.

The predicate runs in the database. Columns serve the attributes that have one
(userName, externalId, displayName, active, meta.*); other single-valued attributes are
read from the JSON document; each element of a multi-valued User attribute is a
`DirectoryUserValue` row, so `emails[type eq "work" and value co "@x.com"]` tests both
conditions on the same element. `groups` follows nested groups with a recursive CTE.
The caller adds `directory_id == X` itself; passing `directory_id=` as well lets the
sub-queries start from their own indexes instead of following each outer row.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, cast, false, literal, not_, or_, true
from sqlalchemy.sql import ColumnElement

from ..models import DirectoryUser, Group
from .errors import InvalidFilter
from .filter_budget import FilterCost
from .filter_compare import Operand, compare, json_operand, present, text_operand
from .filter_scopes import ElementScope, GroupClosure, MemberRows, ValueRows
from .filter_syntax import AttrPath, Comparison, Junction, Negation, Node, ValuePath, parse_filter
from .schema_registry import (
    COMMON, CORE_GROUP, CORE_USER, Attribute, AttributePath, SchemaRegistry, UnknownAttribute,
)

VALUE_ROW_ATTRIBUTES = frozenset({"emails", "phoneNumbers", "ims", "photos", "addresses",
                                  "entitlements", "roles", "x509Certificates"})


def compile_user_filter(registry: SchemaRegistry, filter_text: str, *,
                        directory_id: str | None = None) -> ColumnElement[bool]:
    """The predicate on `DirectoryUser` that `filter_text` describes (RFC 7644 §3.4.2.2)."""
    return UserFilter(registry, directory_id).compile(parse_filter(filter_text))


def compile_group_filter(registry: SchemaRegistry, filter_text: str, *,
                         directory_id: str | None = None) -> ColumnElement[bool]:
    """The predicate on `Group` that `filter_text` describes (RFC 7644 §3.4.2.2)."""
    return GroupFilter(registry, directory_id).compile(parse_filter(filter_text))


class ResourceFilter:
    """Translate a parsed filter for one resource type; subclasses map attributes to SQL."""

    resource_type = ""
    model: Any = None

    def __init__(self, registry: SchemaRegistry, directory_id: str | None = None):
        self.registry = registry
        self.directory_id = directory_id
        self.cost = FilterCost()

    def compile(self, node: Node) -> ColumnElement[bool]:
        """The predicate for `node`, refused when it costs more than the filter budget."""
        predicate = self.translate(node)
        self.cost.check()
        return predicate

    def translate(self, node: Node, scope: ElementScope | None = None) -> ColumnElement[bool]:
        if isinstance(node, Junction):
            if scope is None:
                return self._junction(node)
            parts = [self.translate(item, scope) for item in node.items]
            return and_(*parts) if node.op == "and" else or_(*parts)
        if isinstance(node, Negation):
            return not_(self.translate(node.item, scope))
        if isinstance(node, ValuePath):
            return self._value_path(node)
        if scope is not None:
            sub = scope.attribute.sub(node.path.name)
            if sub is None:
                raise InvalidFilter(f"{scope.label} has no sub-attribute {node.path.name!r}")
            self.cost.comparison(node.op)
            return compare(scope.operand(sub), node.op, node.value)
        return self._comparison(node)

    def _junction(self, node: Junction) -> ColumnElement[bool]:
        """`and`/`or` whose terms on one multi-valued attribute share a single sub-query.

        `emails[type eq "work"] or emails.value co "x"` is one EXISTS with `or` inside;
        with `and` the terms may hold for different values, so `ValueRows.wrap_all` groups
        the rows instead. Either way one sub-query per attribute, not one per term.
        """
        items: list[Node] = []
        for item in node.items:  # (a and b) and c: one chain
            same = isinstance(item, Junction) and item.op == node.op
            items.extend(item.items if isinstance(item, Junction) and same else [item])
        shared: dict[str, list[Node]] = {}
        order: list[Node | str] = []
        for item in items:
            key = self._shared_scope_key(item)
            if key is None:
                order.append(item)
                continue
            if key not in shared:
                shared[key] = []
                order.append(key)
            shared[key].append(item)
        parts = []
        for entry in order:
            if not isinstance(entry, str):
                parts.append(self.translate(entry))
            elif len(shared[entry]) == 1:
                parts.append(self.translate(shared[entry][0]))
            else:
                parts.append(self._merged(shared[entry], node.op))
        return and_(*parts) if node.op == "and" else or_(*parts)

    def _shared_scope_key(self, item: Node) -> str | None:
        """The attribute whose values `item` tests one at a time, when it can share them."""
        if isinstance(item, Comparison):
            kind = item.value.kind if item.value is not None else None
            if item.op == "pr" or kind == "null":
                return None
        elif not isinstance(item, ValuePath):
            return None
        try:
            path = self.resolve(item.path)
        except InvalidFilter:
            return None  # translate() reports it
        if not path.attribute.multi_valued or not self.shares_values(path):
            return None
        if isinstance(item, Comparison) and not (path.sub or self._implied_value(path, item)):
            return None
        return f"{path.schema}:{path.attribute.name}"

    def shares_values(self, path: AttributePath) -> bool:
        """Whether terms on `path`'s attribute can be merged into one sub-query."""
        return False

    def _merged(self, items: list[Node], op: str) -> ColumnElement[bool]:
        path = self.resolve(items[0].path)  # type: ignore[union-attr]
        scope = self.element_scope(path)
        self.cost.subquery(scope.label)
        conditions = []
        for item in items:
            if isinstance(item, ValuePath):
                conditions.append(self.translate(item.filter, scope))
                continue
            assert isinstance(item, Comparison)
            term = self.resolve(item.path)
            sub = term.sub or self._implied_value(term, item)
            assert sub is not None
            self.cost.comparison(item.op)
            conditions.append(compare(scope.operand(sub), item.op, item.value))
        if op == "or":
            return scope.wrap(or_(*conditions))
        self.cost.merged_and(len(conditions))
        return scope.wrap_all(conditions)  # type: ignore[attr-defined]

    def resolve(self, path: AttrPath) -> AttributePath:
        """The schema attribute `path` names; invalidFilter when there is none."""
        try:
            resolved = self.registry.resolve(self.resource_type, path.text)
        except UnknownAttribute:
            raise InvalidFilter(f"{path.text!r} is not an attribute of {self.resource_type} "
                                "resources (see /Schemas)") from None
        if resolved.target.returned == "never":
            raise InvalidFilter(f"{path.text} is never returned and cannot be filtered")
        return resolved

    def operand(self, path: AttributePath) -> Operand:
        """Where a single-valued attribute (or sub-attribute) is, for comparisons and sorting."""
        if path.schema == COMMON:
            return self._common_operand(path)
        keys = ((path.schema,) if path.is_extension else ()) + (path.attribute.name,)
        keys += (path.sub.name,) if path.sub else ()
        self.cost.document_read()
        return json_operand(self.model.attributes, keys, path.target, path.dotted)

    def element_scope(self, path: AttributePath) -> ElementScope:
        raise InvalidFilter(f"{path.attribute.name} is multi-valued and cannot be filtered")

    def _comparison(self, node: Comparison) -> ColumnElement[bool]:
        if node.path.uri is None and node.path.name.lower() == "schemas" and not node.path.sub:
            self.cost.comparison(node.op)
            return self._schemas(node)
        path = self.resolve(node.path)
        attribute = path.attribute
        self.cost.comparison(node.op)
        if attribute.multi_valued:
            scope = self.element_scope(path)
            self.cost.subquery(scope.label, walk=isinstance(scope, GroupClosure))
            sub = path.sub or self._implied_value(path, node)
            if sub is not None:
                return scope.wrap(compare(scope.operand(sub), node.op, node.value))
            return self._whole(path, node, scope.wrap(true()))
        if attribute.is_complex and path.sub is None:
            if path.schema == COMMON:  # meta: always there
                return self._whole(path, node, true())
            parts = [present(self.operand(AttributePath(path.schema, attribute, sub)))
                     for sub in attribute.sub_attributes.values() if not sub.is_complex]
            return self._whole(path, node, or_(*parts))
        return compare(self.operand(path), node.op, node.value)

    @staticmethod
    def _implied_value(path: AttributePath, node: Comparison) -> Attribute | None:
        """`emails co "example.com"`: a complex multi-valued attribute named alone compares
        its `value` (RFC 7644 §3.4.2.2, whose own example this is); `pr` and `eq null` still
        ask whether the attribute has any value at all."""
        kind = node.value.kind if node.value is not None else None
        if node.op == "pr" or kind == "null" or not path.attribute.is_complex:
            return None
        return path.attribute.sub("value")

    def _whole(self, path: AttributePath, node: Comparison,
               has_value: ColumnElement[bool]) -> ColumnElement[bool]:
        """`attr pr`, `attr eq null`, `attr ne null` on a complex or multi-valued attribute."""
        kind = node.value.kind if node.value is not None else None
        if node.op == "pr" or (node.op == "ne" and kind == "null"):
            return has_value
        if node.op == "eq" and kind == "null":
            return not_(has_value)
        example = next(iter(path.attribute.sub_attributes.values()), None)
        hint = f", e.g. {path.attribute.name}.{example.name}" if example else ""
        raise InvalidFilter(f"{path.attribute.name} is complex; compare one of its "
                            f"sub-attributes{hint}, or use {path.attribute.name}[...]")

    def _value_path(self, node: ValuePath) -> ColumnElement[bool]:
        path = self.resolve(node.path)
        attribute = path.attribute
        if not attribute.is_complex:
            raise InvalidFilter(f"{attribute.name}[...] applies to complex attributes only")
        if attribute.multi_valued:
            scope = self.element_scope(path)
            self.cost.subquery(scope.label, walk=isinstance(scope, GroupClosure))
            return scope.wrap(self.translate(node.filter, scope))
        return self.translate(node.filter, _SameResource(self, path))

    def _schemas(self, node: Comparison) -> ColumnElement[bool]:
        """`schemas eq "urn:..."`: the resource uses that schema (RFC 7644 §3.4.2.2)."""
        if node.op == "pr":
            return true()
        rtype = self.registry.resource_type(self.resource_type)
        if node.op not in ("eq", "ne") or node.value is None or node.value.kind != "string":
            raise InvalidFilter(f'schemas takes eq, ne or pr with a schema URN, e.g. schemas eq '
                                f'"{rtype.schema}"')
        wanted = str(node.value.value).lower()
        urn = next((u for u in rtype.schema_ids if u.lower() == wanted), None)
        if urn is None:
            used: ColumnElement[bool] = false()
        elif urn == rtype.schema:
            used = true()
        else:
            used = self.model.attributes[(urn,)].as_string().is_not(None)
        return used if node.op == "eq" else not_(used)

    def _common_operand(self, path: AttributePath) -> Operand:
        """`id`, `externalId` and `meta.*` (RFC 7643 §3.1), from the table's own columns."""
        model, attribute, sub = self.model, path.attribute, path.sub
        name = attribute.name
        if name == "id":
            return text_operand(model.id, None, attribute, "id", nullable=False)
        if name == "externalId":
            return text_operand(model.external_id, None, attribute, "externalId")
        label = path.dotted
        if sub is None:
            raise InvalidFilter(f"{label} is complex; name one of its sub-attributes")
        if sub.name == "created":
            return Operand(model.created_at, "dateTime", label, nullable=False)
        if sub.name == "lastModified":
            return Operand(model.updated_at, "dateTime", label, nullable=False)
        if sub.name == "version":
            etag = literal('W/"', String()) + cast(model.version, String) + literal('"', String())
            return Operand(etag, "string", label, nullable=False)
        if sub.name == "resourceType":
            return Operand(literal(self.resource_type, String()), "string", label,
                           nullable=False)
        raise InvalidFilter(f"{label} cannot be filtered; filter on id instead")


class _SameResource:
    """`name[givenName eq "x"]`: a single-valued complex attribute of the resource itself."""

    def __init__(self, owner: ResourceFilter, path: AttributePath):
        self.owner, self.path = owner, path
        self.attribute, self.label = path.attribute, path.attribute.name

    def operand(self, sub: Attribute) -> Operand:
        return self.owner.operand(AttributePath(self.path.schema, self.attribute, sub))

    def wrap(self, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return condition


class UserFilter(ResourceFilter):
    """Filters on /Users."""

    resource_type = "User"
    model = DirectoryUser

    def operand(self, path: AttributePath) -> Operand:
        if path.schema == CORE_USER and path.sub is None:
            attribute, name = path.attribute, path.attribute.name
            if name == "userName":
                return text_operand(DirectoryUser.user_name, DirectoryUser.user_name_norm,
                                    attribute, name, nullable=False)
            if name == "displayName":
                return text_operand(DirectoryUser.display_name, DirectoryUser.display_name_norm,
                                    attribute, name)
            if name == "active":
                return Operand(DirectoryUser.active, "boolean", name, nullable=False)
        return super().operand(path)

    def element_scope(self, path: AttributePath) -> ElementScope:
        name = path.attribute.name
        if path.schema == CORE_USER and name == "groups":
            return GroupClosure(path.attribute, self.directory_id)
        if path.schema == CORE_USER and name in VALUE_ROW_ATTRIBUTES:
            return ValueRows(path.attribute, self.directory_id)
        return super().element_scope(path)

    def shares_values(self, path: AttributePath) -> bool:
        return path.schema == CORE_USER and path.attribute.name in VALUE_ROW_ATTRIBUTES


class GroupFilter(ResourceFilter):
    """Filters on /Groups."""

    resource_type = "Group"
    model = Group

    def operand(self, path: AttributePath) -> Operand:
        if path.schema == CORE_GROUP and path.attribute.name == "displayName":
            return text_operand(Group.display_name, Group.display_name_norm, path.attribute,
                                "displayName", nullable=False)
        return super().operand(path)

    def element_scope(self, path: AttributePath) -> ElementScope:
        if path.schema == CORE_GROUP and path.attribute.name == "members":
            return MemberRows(path.attribute)
        return super().element_scope(path)
