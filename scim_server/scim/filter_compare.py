"""One attribute compared with one value, as SQL that runs the same on SQLite and PostgreSQL.

The rules come from RFC 7644 §3.4.2.2: string comparisons follow the attribute's
`caseExact`; `gt`/`ge`/`lt`/`le` are lexicographic for strings (by code point here, on
both databases), chronological for dateTime, numeric for numbers, and refused for
boolean and binary. Every predicate built here is two-valued (never SQL NULL), so
`not (...)` around it means exactly "does not match".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from typing import Any

from sqlalchemy import String, and_, func, literal, not_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from .. import casefold
from ..casefold import folded
from .errors import InvalidFilter
from .filter_syntax import Value
from .schema_registry import Attribute
from .values import parse_datetime

LIKE_ESCAPE = "\\"
_TEXT_TYPES = ("string", "reference", "binary")
_ORDER_OPS = ("gt", "ge", "lt", "le")


class code_point_order(FunctionElement[Any]):  # noqa: N801 - reads like a SQL function
    """The expression, compared by Unicode code point (PostgreSQL: COLLATE "C")."""

    inherit_cache = True
    type = String()


@compiles(code_point_order)
def _code_point_order(element: code_point_order, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(code_point_order, "postgresql")
def _code_point_order_pg(element: code_point_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


class scim_timestamp(FunctionElement[Any]):  # noqa: N801 - reads like a SQL function
    """An RFC 3339 text as an instant that compares chronologically (JSON dateTime values)."""

    inherit_cache = True


@compiles(scim_timestamp)
def _scim_timestamp(element: scim_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


@compiles(scim_timestamp, "postgresql")
def _scim_timestamp_pg(element: scim_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TIMESTAMP WITH TIME ZONE)"


@dataclass(frozen=True)
class Operand:
    """Where an attribute's value is in SQL, and how to compare it.

    `expr` is already in comparable form: when `fold` is set it holds lower-cased text
    (a `*_norm` column or `folded(...)`) and literals are folded in Python to match. A
    `*_norm` column keeps only `norm_length` characters; `raw` is the full value then.
    """

    expr: ColumnElement[Any]
    type: str
    label: str
    fold: bool = False
    nullable: bool = True
    raw: ColumnElement[Any] | None = None
    norm_length: int | None = None
    json_timestamp: bool = False


def text_operand(raw: ColumnElement[Any], norm: Any, attribute: Attribute, label: str, *,
                 nullable: bool = True) -> Operand:
    """A string attribute: exact, or folded through its `*_norm` column or `folded()`."""
    kind = attribute.type if attribute.type in _TEXT_TYPES else "string"
    if attribute.case_exact:
        return Operand(raw, kind, label, nullable=nullable)
    if norm is not None:
        return Operand(norm, kind, label, fold=True, nullable=nullable, raw=raw,
                       norm_length=norm.type.length)
    return Operand(folded(raw), kind, label, fold=True, nullable=nullable)


def json_operand(document: Any, keys: tuple[str, ...], attribute: Attribute,
                 label: str) -> Operand:
    """A value inside a JSON document column, extracted with the attribute's type."""
    element = document[keys]
    kind = attribute.type
    if kind in _TEXT_TYPES:
        return text_operand(element.as_string(), None, attribute, label)
    if kind == "boolean":
        return Operand(element.as_boolean(), kind, label)
    if kind == "integer":
        return Operand(element.as_integer(), kind, label)
    if kind == "decimal":
        return Operand(element.as_float(), kind, label)
    if kind == "dateTime":
        return Operand(scim_timestamp(element.as_string()), kind, label, json_timestamp=True)
    raise InvalidFilter(f"{label} is of type {kind} and cannot be filtered")


def escape_like(text: str) -> str:
    """`text` with LIKE wildcards and the escape character taken literally."""
    return (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
            .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))


def present(operand: Operand) -> ColumnElement[bool]:
    """`pr`: the attribute has a non-null, non-empty value (RFC 7644 §3.4.2.2)."""
    if operand.type in _TEXT_TYPES:
        return and_(operand.expr.is_not(None), operand.expr != "")
    return operand.expr.is_not(None) if operand.nullable else true()


def compare(operand: Operand, op: str, value: Value | None) -> ColumnElement[bool]:
    """`operand op value` as a two-valued SQL predicate; invalidFilter when they do not fit."""
    if op == "pr":
        return present(operand)
    assert value is not None
    if value.kind == "null":
        if op == "eq":
            return not_(present(operand))
        if op == "ne":
            return present(operand)
        raise InvalidFilter(f"{operand.label} {op} null: null can only be used with eq or ne")
    if operand.type in _TEXT_TYPES:
        return _compare_string(operand, op, value)
    if operand.type == "boolean":
        return _compare_boolean(operand, op, value)
    if operand.type in ("integer", "decimal"):
        return _compare_number(operand, op, value)
    if operand.type == "dateTime":
        return _compare_datetime(operand, op, value)
    raise InvalidFilter(f"{operand.label} is of type {operand.type} and cannot be compared")


def _guarded(operand: Operand, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, false (not NULL) where the attribute has no value."""
    return and_(operand.expr.is_not(None), condition) if operand.nullable else condition


def _ordered(operand: Operand, op: str, right: Any) -> ColumnElement[bool]:
    left = operand.expr
    if operand.type in _TEXT_TYPES:
        left, right = code_point_order(left), literal(right, String())
    if op == "gt":
        return _guarded(operand, left > right)
    if op == "ge":
        return _guarded(operand, left >= right)
    if op == "lt":
        return _guarded(operand, left < right)
    return _guarded(operand, left <= right)


def _compare_string(operand: Operand, op: str, value: Value) -> ColumnElement[bool]:
    label = operand.label
    if value.kind != "string":
        raise InvalidFilter(f"{label} is a {operand.type}; compare it with a quoted string, "
                            f'e.g. {label} {op} "{value.text}"')
    if operand.type == "binary" and op not in ("eq", "ne"):
        raise InvalidFilter(f"{label} is binary; only eq, ne and pr apply to it")
    text = str(value.value)
    if operand.fold:
        text = casefold.fold(text)
    if op in ("eq", "ne"):
        equal = _string_equal(operand, text)
        return equal if op == "eq" else not_(equal)
    if op in _ORDER_OPS:
        return _ordered(operand, op, text)
    if op in ("co", "sw", "ew"):
        return _string_match(operand, op, text)
    raise InvalidFilter(f"the operator {op!r} is not supported")


def _string_equal(operand: Operand, text: str) -> ColumnElement[bool]:
    limit = operand.norm_length
    if limit is not None and operand.raw is not None and len(text) >= limit:
        # The *_norm column keeps `limit` characters: it narrows, the full value decides.
        return _guarded(operand, and_(operand.expr == text[:limit],
                                      folded(operand.raw) == text))
    return _guarded(operand, operand.expr == text)


def _string_match(operand: Operand, op: str, text: str) -> ColumnElement[bool]:
    """co / sw / ew with LIKE, its wildcards escaped, and exact case where caseExact says so."""
    if text == "":
        return operand.expr.is_not(None) if operand.nullable else true()
    expr = operand.expr
    pattern = escape_like(text)
    pattern = {"co": f"%{pattern}%", "sw": f"{pattern}%", "ew": f"%{pattern}"}[op]
    condition = expr.like(pattern, escape=LIKE_ESCAPE)
    if not operand.fold:
        # SQLite's LIKE ignores ASCII case; these checks are case-sensitive on both databases.
        size = len(text)
        exact = {
            "co": func.replace(expr, text, "") != expr,
            "sw": func.substr(expr, 1, size) == text,
            "ew": func.substr(expr, func.length(expr) - size + 1, size) == text,
        }[op]
        return _guarded(operand, and_(condition, exact))
    limit, raw = operand.norm_length, operand.raw
    if limit is not None and raw is not None:
        # A *_norm column keeps `limit` characters: a longer value is matched on its full text.
        full = folded(raw).like(pattern, escape=LIKE_ESCAPE)
        if op != "sw":
            condition = or_(condition, and_(func.length(expr) >= limit, full))
        elif len(text) >= limit:
            condition = and_(expr == text[:limit], full)
    return _guarded(operand, condition)


def _compare_boolean(operand: Operand, op: str, value: Value) -> ColumnElement[bool]:
    label = operand.label
    if op not in ("eq", "ne"):
        raise InvalidFilter(f"{label} is a boolean; only eq, ne and pr apply to it "
                            f"(RFC 7644 §3.4.2.2), not {op}")
    if value.kind != "boolean":
        hint = f" without quotes: {label} {op} {str(value.value).lower()}" \
            if str(value.value).lower() in ("true", "false") else ""
        raise InvalidFilter(f"{label} is a boolean; compare it with true or false{hint}")
    equal = _guarded(operand, operand.expr == bool(value.value))
    return equal if op == "eq" else not_(equal)


def _compare_number(operand: Operand, op: str, value: Value) -> ColumnElement[bool]:
    label = operand.label
    if value.kind != "number":
        raise InvalidFilter(f"{label} is a number; compare it with a number without quotes")
    if op in ("co", "sw", "ew"):
        raise InvalidFilter(f"{label} is a number; {op} applies to strings only")
    if op in ("eq", "ne"):
        equal = _guarded(operand, operand.expr == value.value)
        return equal if op == "eq" else not_(equal)
    return _ordered(operand, op, value.value)


def _compare_datetime(operand: Operand, op: str, value: Value) -> ColumnElement[bool]:
    label = operand.label
    if value.kind != "string":
        raise InvalidFilter(f"{label} is a dateTime; compare it with a quoted RFC 3339 "
                            f'timestamp, e.g. {label} gt "2024-01-31T00:00:00Z"')
    if op in ("co", "sw", "ew"):
        raise InvalidFilter(f"{label} is a dateTime; use eq, ne, gt, ge, lt or le, not {op}")
    try:
        instant = parse_datetime(str(value.value)).astimezone(timezone.utc)
    except ValueError as exc:
        raise InvalidFilter(f"{value.text} is not an RFC 3339 timestamp "
                            '(e.g. "2024-01-31T12:00:00Z")') from exc
    right: Any = instant
    if operand.json_timestamp:
        right = scim_timestamp(literal(instant.isoformat(), String()))
    if op in ("eq", "ne"):
        equal = _guarded(operand, operand.expr == right)
        return equal if op == "eq" else not_(equal)
    return _ordered(operand, op, right)
