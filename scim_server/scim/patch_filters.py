"""Value-selection filters of PATCH paths (`emails[type eq "work"]`), checked in memory.

The text between the brackets is parsed by scim2-filter-parser (RFC 7644 §3.4.2.2
grammar) and compiled against the sub-attributes of the filtered attribute, so a
comparison knows its attribute's type and case rule (`caseExact`, RFC 7643 §2.2).
Anything the grammar or the schema does not allow is an `invalidPath`: the filter is
part of the PATCH `path` (RFC 7644 §3.5.2).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

from .. import casefold
from .errors import InvalidPath
from .schema_registry import Attribute
from .tolerances import STRING_BOOLEANS, Tolerances
from .values import parse_datetime

_SUBSTRING = {"co", "sw", "ew"}
_TEXT_TYPES = {"string", "reference"}


class _Quoted(str):
    """A comparison value that was a quoted string in the filter text."""


@dataclass(frozen=True)
class Comparison:
    """`sub op value` (RFC 7644 §3.4.2.2, Table 3); `value` already of the sub's type."""

    attribute: Attribute
    op: str
    value: Any = None


@dataclass(frozen=True)
class Logical:
    """`left and right` or `left or right`."""

    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Negation:
    """`not (inner)`."""

    inner: "Node"


Node = Union[Comparison, Logical, Negation]


@dataclass(frozen=True)
class ValueFilter:
    """A compiled value filter: `matches` an element of a multi-valued complex attribute."""

    text: str
    node: Node

    def matches(self, element: dict[str, Any]) -> bool:
        return _evaluate(self.node, element)

    def as_element(self) -> dict[str, Any] | None:
        """The element the filter describes, when it is `a eq x and b eq y ...`; else None."""
        return _describe(self.node)

    def equal_values(self, sub_name: str) -> list[Any] | None:
        """The values of `sub eq v1 or sub eq v2 ...`, when that is the whole filter."""
        return _disjunction(self.node, sub_name.lower())


def parse_value_filter(text: str, attribute: Attribute, tolerances: Tolerances, *,
                       path: str) -> ValueFilter:
    """Compile the bracketed filter of `path` against `attribute`'s sub-attributes."""
    try:
        tokens = []
        for token in SCIMLexer().tokenize(text):
            if token.type == "COMP_VALUE":
                token.value = _Quoted(token.value)
            tokens.append(token)
        tree = SCIMParser().parse(iter(tokens))
    except Exception as exc:  # the parser raises several types; all mean a malformed filter
        raise InvalidPath(f"the value filter in path {path!r} is malformed") from exc
    return ValueFilter(text, _compile(tree, attribute, tolerances, path))


def _compile(node: Any, attribute: Attribute, tolerances: Tolerances, path: str) -> Node:
    if isinstance(node, ast.Filter):
        if node.namespace is not None:
            raise InvalidPath(f"path {path!r}: nested value filters are not supported")
        inner = _compile(node.expr, attribute, tolerances, path)
        return Negation(inner) if node.negated else inner
    if isinstance(node, ast.LogExpr):
        return Logical(node.op.lower(), _compile(node.expr1, attribute, tolerances, path),
                       _compile(node.expr2, attribute, tolerances, path))
    if isinstance(node, ast.AttrExpr):
        return _comparison(node, attribute, tolerances, path)
    raise InvalidPath(f"path {path!r} has an unsupported filter")


def _comparison(node: ast.AttrExpr, attribute: Attribute, tolerances: Tolerances,
                path: str) -> Comparison:
    attr_path = node.attr_path
    name = attr_path.attr_name
    if not isinstance(name, str) or attr_path.uri is not None or attr_path.sub_attr is not None:
        raise InvalidPath(f"path {path!r}: a value filter compares sub-attributes of "
                          f"{attribute.name} by their plain names")
    sub = attribute.sub(name)
    if sub is None:
        raise InvalidPath(f"path {path!r}: {attribute.name} has no sub-attribute {name!r}")
    op = str(node.value).lower()
    if op == "pr":
        return Comparison(sub, op)
    value = _typed(sub, op, node.comp_value.value, tolerances, path)
    return Comparison(sub, op, value)


def _typed(sub: Attribute, op: str, raw: Any, tolerances: Tolerances, path: str) -> Any:
    """The comparison value as the sub-attribute's type, or invalidPath if it cannot be."""
    where = f"path {path!r}: {sub.name} {op}"
    if not isinstance(raw, _Quoted) and raw == "null":
        if op not in ("eq", "ne"):
            raise InvalidPath(f"{where} null: only eq and ne compare with null")
        return None
    if (sub.type in ("boolean", "binary") and op != "eq" and op != "ne") or (
            op in _SUBSTRING and sub.type not in _TEXT_TYPES):
        raise InvalidPath(f"{where}: the operator does not apply to a {sub.type}")
    if sub.type == "boolean":
        if not isinstance(raw, _Quoted) and raw in ("true", "false"):
            return raw == "true"
        if (isinstance(raw, _Quoted) and raw.strip().lower() in ("true", "false")
                and tolerances.use(STRING_BOOLEANS)):
            return raw.strip().lower() == "true"
        raise InvalidPath(f"{where}: compare a boolean with true or false")
    if sub.type in ("integer", "decimal"):
        if isinstance(raw, _Quoted) or raw in ("true", "false"):
            raise InvalidPath(f"{where}: compare a number with a number")
        return int(raw)
    if not isinstance(raw, _Quoted):
        raise InvalidPath(f"{where}: compare a {sub.type} with a quoted string")
    if sub.type == "dateTime":
        try:
            return parse_datetime(raw)
        except ValueError as exc:
            raise InvalidPath(f"{where}: {raw!r} is not a dateTime") from exc
    return str(raw)


def _lookup(element: dict[str, Any], name: str) -> Any:
    if name in element:
        return element[name]
    lowered = name.lower()
    return next((v for k, v in element.items() if k.lower() == lowered), None)


def _evaluate(node: Node, element: dict[str, Any]) -> bool:
    if isinstance(node, Negation):
        return not _evaluate(node.inner, element)
    if isinstance(node, Logical):
        if node.op == "and":
            return _evaluate(node.left, element) and _evaluate(node.right, element)
        return _evaluate(node.left, element) or _evaluate(node.right, element)
    return _compare(node, _lookup(element, node.attribute.name))


def _compare(node: Comparison, actual: Any) -> bool:
    """One comparison (RFC 7644 §3.4.2.2, Table 3); a value of the wrong type never matches."""
    if node.op == "pr":
        return actual not in (None, "", [], {})
    if actual is None or node.value is None:
        same = actual is None and node.value is None
        return same if node.op == "eq" else (not same if node.op == "ne" else False)
    kind = node.attribute.type
    expected: Any = node.value
    if kind in _TEXT_TYPES or kind == "binary":
        if not isinstance(actual, str):
            return False
        if not node.attribute.case_exact:
            actual, expected = casefold.fold(actual), casefold.fold(expected)
    elif kind == "dateTime":
        try:
            actual = parse_datetime(actual) if isinstance(actual, str) else None
        except ValueError:
            actual = None
        if not isinstance(actual, datetime):
            return False
    elif kind == "boolean" and not isinstance(actual, bool):
        return False
    elif kind in ("integer", "decimal") and (isinstance(actual, bool)
                                             or not isinstance(actual, (int, float))):
        return False
    return _apply(node.op, actual, expected)


def _apply(op: str, actual: Any, expected: Any) -> bool:
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "co":
        return expected in actual
    if op == "sw":
        return bool(actual.startswith(expected))
    if op == "ew":
        return bool(actual.endswith(expected))
    if op == "gt":
        return bool(actual > expected)
    if op == "ge":
        return bool(actual >= expected)
    if op == "lt":
        return bool(actual < expected)
    return bool(actual <= expected)


def _describe(node: Node) -> dict[str, Any] | None:
    if isinstance(node, Comparison):
        if node.op != "eq" or node.value is None or isinstance(node.value, datetime):
            return None
        return {node.attribute.name: node.value}
    if isinstance(node, Logical) and node.op == "and":
        left, right = _describe(node.left), _describe(node.right)
        if left is None or right is None:
            return None
        if any(key in left and left[key] != value for key, value in right.items()):
            return None
        return {**left, **right}
    return None


def _disjunction(node: Node, sub_name: str) -> list[Any] | None:
    if isinstance(node, Comparison):
        if node.op == "eq" and node.value is not None and node.attribute.name.lower() == sub_name:
            return [node.value]
        return None
    if isinstance(node, Logical) and node.op == "or":
        left, right = _disjunction(node.left, sub_name), _disjunction(node.right, sub_name)
        return None if left is None or right is None else left + right
    return None
