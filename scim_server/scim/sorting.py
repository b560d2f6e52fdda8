"""`sortBy` and `sortOrder` (RFC 7644 §3.4.2.3): what a list of Users or Groups is ordered by.

Strings sort by Unicode code point, case-insensitively unless the attribute is
caseExact; a multi-valued attribute sorts by its primary value, else its first; a
resource without the value sorts last when ascending and first when descending. An
attribute that cannot be sorted by is a 400 `invalidValue`: the RFC reserves
`invalidFilter` for the `filter` parameter, and `invalidValue` covers a request value
that does not fit the resource schema (RFC 7644 §3.12).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import String, literal
from sqlalchemy.sql import ColumnElement

from .errors import InvalidFilter, InvalidValue
from .filter_compare import Operand, code_point_order
from .filter_scopes import ValueRows
from .filter_syntax import AttrPath
from .filters import GroupFilter, ResourceFilter, UserFilter
from .schema_registry import COMMON, AttributePath, SchemaRegistry

SORT_ORDERS = ("ascending", "descending")
_TEXT_TYPES = ("string", "reference", "binary")


def user_sort_key(registry: SchemaRegistry, sort_by: str) -> ColumnElement[Any]:
    """The expression `sortBy` orders Users by (RFC 7644 §3.4.2.3)."""
    return _sort_key(UserFilter(registry), sort_by)


def group_sort_key(registry: SchemaRegistry, sort_by: str) -> ColumnElement[Any]:
    """The expression `sortBy` orders Groups by (RFC 7644 §3.4.2.3)."""
    return _sort_key(GroupFilter(registry), sort_by)


def is_descending(sort_order: str | None) -> bool:
    """Read `sortOrder`: "ascending" (the default) or "descending" (RFC 7644 §3.4.2.3)."""
    if sort_order is None:
        return False
    order = sort_order.strip().lower()
    if order not in SORT_ORDERS:
        raise InvalidValue(f"sortOrder must be ascending or descending, not {sort_order!r}")
    return order == "descending"


def order_by_clause(key: ColumnElement[Any], descending: bool) -> ColumnElement[Any]:
    """`key` in order, missing values last ascending and first descending (RFC 7644 §3.4.2.3)."""
    return key.desc().nulls_first() if descending else key.asc().nulls_last()


def _sort_key(resource: ResourceFilter, sort_by: str) -> ColumnElement[Any]:
    text = sort_by.strip() if isinstance(sort_by, str) else ""
    if not text:
        raise InvalidValue("sortBy is empty; name an attribute, e.g. sortBy=meta.created")
    try:
        return _key_for(resource, resource.resolve(AttrPath(None, text)))
    except InvalidFilter as exc:
        raise InvalidValue(f"sortBy={text}: {exc.detail}") from None


def _key_for(resource: ResourceFilter, path: AttributePath) -> ColumnElement[Any]:
    attribute, sub = path.attribute, path.sub
    model = resource.model
    if path.schema == COMMON and attribute.name == "meta" and sub is not None:
        if sub.name == "version":
            return model.version  # numeric: W/"10" comes after W/"9"
        if sub.name == "location":
            return model.id  # every location is the same base URL followed by the id
        if sub.name == "resourceType":
            return literal(resource.resource_type, String())
    if attribute.multi_valued:
        return _first_value_key(resource, path)
    if attribute.is_complex and sub is None:
        raise InvalidValue(f"sortBy={attribute.name}: {attribute.name} is complex; sort by one "
                           f"of its sub-attributes, e.g. {_example(path)}")
    return _orderable(resource.operand(path))


def _first_value_key(resource: ResourceFilter, path: AttributePath) -> ColumnElement[Any]:
    """A multi-valued attribute: its primary value, else its first (RFC 7644 §3.4.2.3)."""
    attribute = path.attribute
    scope = resource.element_scope(path)
    if not isinstance(scope, ValueRows):
        raise InvalidValue(f"sortBy={path.dotted}: sorting by {attribute.name} is not supported")
    sub = path.sub or attribute.sub("value")
    if sub is None:
        raise InvalidValue(f"sortBy={attribute.name}: name a sub-attribute, e.g. "
                           f"{_example(path)}")
    operand = scope.operand(sub)
    key = scope.first_value(operand.expr)
    return code_point_order(key) if operand.type in _TEXT_TYPES else key


def _orderable(operand: Operand) -> ColumnElement[Any]:
    return code_point_order(operand.expr) if operand.type in _TEXT_TYPES else operand.expr


def _example(path: AttributePath) -> str:
    first = next(iter(path.attribute.sub_attributes.values()), None)
    return f"{path.attribute.name}.{first.name}" if first else path.attribute.name
