"""Parse a SCIM filter (RFC 7644 §3.4.2.2) into a small typed tree.

scim2-filter-parser does the grammar; this module fixes what it gets wrong or loses:
its lexer only reads one-digit numbers and strings without escapes, its tree forgets
whether a value was `true` or `"true"`, and it gives `and` and `or` the same precedence
(so `a or b and c` would mean `(a or b) and c`). Every failure, whatever the library
raises, leaves as `InvalidFilter` with a detail that says what to fix.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Iterator, Union

from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

from .errors import InvalidFilter

MAX_FILTER_LENGTH = 4096
MAX_NESTING = 16
MAX_COMPARISONS = 200
OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr")
_VALUE_TOKENS = {"TRUE", "FALSE", "NULL", "NUMBER", "COMP_VALUE"}
_OPERATOR_TOKENS = {op.upper() for op in OPERATORS}
_INT64 = 2**63


@dataclass(frozen=True)
class Value:
    """A comparison value with its JSON kind: `string`, `number`, `boolean` or `null`."""

    kind: str
    value: str | int | float | bool | None
    text: str


@dataclass(frozen=True)
class AttrPath:
    """`[uri:]name[.sub]`; inside `attr[...]` it names a sub-attribute of `attr`."""

    uri: str | None
    name: str
    sub: str | None = None

    @property
    def text(self) -> str:
        base = f"{self.uri}:{self.name}" if self.uri else self.name
        return f"{base}.{self.sub}" if self.sub else base


@dataclass(frozen=True)
class Comparison:
    """`path op value`, or `path pr` (value None)."""

    path: AttrPath
    op: str
    value: Value | None


@dataclass(frozen=True)
class Junction:
    """`and` / `or` over two or more sub-filters."""

    op: str
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Negation:
    """`not (filter)`."""

    item: "Node"


@dataclass(frozen=True)
class ValuePath:
    """`attr[filter]`: every condition of `filter` holds for the same value of `attr`."""

    path: AttrPath
    filter: "Node"


Node = Union[Comparison, Junction, Negation, ValuePath]


class _FilterLexer(SCIMLexer):
    """The library's lexer with JSON numbers and JSON strings (escapes included)."""

    tokens = SCIMLexer.tokens
    NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"

    @_(r'"(?:[^"\\]|\\.)*"')  # type: ignore[name-defined]  # noqa: F821 - sly's decorator
    def COMP_VALUE(self, t: Any) -> Any:
        return t  # keep the quotes: the value is decoded as a JSON string

    def error(self, t: Any) -> None:
        char = t.value[0]
        hint = " (a string is not closed?)" if char == '"' else ""
        raise InvalidFilter(f"unexpected character {char!r} at position {t.index + 1}{hint}")


def parse_filter(text: str) -> Node:
    """Parse `text`; raise `InvalidFilter` for anything that is not a valid filter."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidFilter("the filter is empty")
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilter(f"the filter is {len(text)} characters long; "
                            f"the maximum is {MAX_FILTER_LENGTH}")
    tokens = _tokenize(text)
    _check_size(tokens)
    seen: list[Any] = []
    exhausted = [False]

    def feed() -> Iterator[Any]:
        for token in tokens:
            seen.append(token)
            yield token
        exhausted[0] = True

    try:
        tree = SCIMParser().parse(feed())
    except InvalidFilter:
        raise
    except Exception as exc:  # noqa: BLE001 - the library raises assorted types on bad input
        raise _syntax_error(text, seen, exhausted[0]) from exc
    if tree is None:
        raise _syntax_error(text, seen, True)
    return _convert(tree, None)


def _tokenize(text: str) -> list[Any]:
    try:
        tokens = list(_FilterLexer().tokenize(text))
    except InvalidFilter:
        raise
    except Exception as exc:  # noqa: BLE001 - sly may raise on input it cannot scan
        raise InvalidFilter("the filter could not be read; check quotes and operators") from exc
    for token in tokens:
        if token.type in _VALUE_TOKENS:
            token.value = _value(token.type, token.value)
    return tokens


def _value(kind: str, raw: str) -> Value:
    """The typed value of a literal token: the library's tree keeps only its text."""
    if kind == "TRUE":
        return Value("boolean", True, raw)
    if kind == "FALSE":
        return Value("boolean", False, raw)
    if kind == "NULL":
        return Value("null", None, raw)
    if kind == "NUMBER":
        number: int | float = float(raw) if any(c in raw for c in ".eE") else int(raw)
        if (isinstance(number, float) and not math.isfinite(number)) or (
                isinstance(number, int) and not -_INT64 <= number < _INT64):
            raise InvalidFilter(f"the number {raw} is out of range")
        return Value("number", number, raw)
    try:
        decoded = json.loads(raw)
    except ValueError as exc:
        raise InvalidFilter(f"the string {raw} is not a valid JSON string (RFC 7159 §7); "
                            'escape only \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX') from exc
    try:
        decoded.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidFilter(f"the string {raw} contains an unpaired surrogate") from exc
    if "\x00" in decoded:
        raise InvalidFilter(f"the string {raw} contains a NUL character")
    return Value("string", decoded, raw)


def _check_size(tokens: list[Any]) -> None:
    """Refuse filters nested too deeply or with too many conditions (abuse guard)."""
    depth = deepest = comparisons = 0
    for token in tokens:
        if token.type in ("LPAREN", "LBRACKET"):
            depth += 1
            deepest = max(deepest, depth)
        elif token.type in ("RPAREN", "RBRACKET"):
            depth -= 1
        elif token.type in _OPERATOR_TOKENS:
            comparisons += 1
    if deepest > MAX_NESTING:
        raise InvalidFilter(f"the filter nests brackets {deepest} deep; the maximum is "
                            f"{MAX_NESTING}")
    if comparisons > MAX_COMPARISONS:
        raise InvalidFilter(f"the filter has {comparisons} comparisons; the maximum is "
                            f"{MAX_COMPARISONS}")


def _syntax_error(text: str, seen: list[Any], at_end: bool) -> InvalidFilter:
    if at_end or not seen:
        return InvalidFilter("the filter ends too early: a value, a closing bracket or the "
                             "right side of and/or is missing")
    token = seen[-1]
    word = text[token.index:getattr(token, "end", token.index + 1)] or str(token.value)
    detail = f"unexpected {word!r} at position {token.index + 1}"
    if token.type == "ATTRNAME" and len(seen) > 1 and seen[-2].type == "ATTRNAME":
        detail += f"; {word!r} is not an operator (use one of {', '.join(OPERATORS)})"
    elif token.type == "ATTRNAME" and word in ("True", "False", "TRUE", "FALSE", "Null"):
        detail += "; boolean and null literals are lower case: true, false, null"
    return InvalidFilter(detail)


def _convert(node: Any, parent: AttrPath | None) -> Node:
    """The library's tree as ours; `parent` is set inside `attr[...]`."""
    if not isinstance(node, ast.Filter):
        raise InvalidFilter("the filter could not be understood")
    if node.namespace is not None:
        return _value_path(node.namespace, node.expr, parent)
    if node.negated:
        return Negation(_convert(node.expr, parent))
    expr = node.expr
    if isinstance(expr, ast.Filter):
        return _convert(expr, parent)
    if isinstance(expr, ast.LogExpr):
        return _junction(node, parent)
    if isinstance(expr, ast.AttrExpr):
        return _comparison(expr, parent)
    raise InvalidFilter("the filter could not be understood")


def _value_path(namespace: Any, inner: Any, parent: AttrPath | None) -> ValuePath:
    path = _attr_path(namespace, None)
    if parent is not None:
        raise InvalidFilter(f"{path.text}[...] inside {parent.text}[...]: value filters "
                            "cannot be nested")
    if path.sub is not None:
        raise InvalidFilter(f"{path.text}[...]: a value filter follows the attribute itself, "
                            f"e.g. {path.name}[type eq \"work\"]")
    return ValuePath(path, _convert(inner, path))


def _is_chain(node: Any) -> bool:
    return (isinstance(node, ast.Filter) and node.namespace is None and not node.negated
            and isinstance(node.expr, ast.LogExpr))


def _junction(node: Any, parent: AttrPath | None) -> Node:
    """Rebuild an unbracketed and/or chain so `and` binds tighter than `or` (RFC 7644 §3.4.2.2)."""
    flat: list[Any] = []
    stack: list[Any] = [node]
    while stack:
        item = stack.pop()
        if _is_chain(item):
            stack.extend([item.expr.expr2, str(item.expr.op).lower(), item.expr.expr1])
        else:
            flat.append(item)
    groups: list[list[Node]] = [[]]
    for item in flat:
        if item == "or":
            groups.append([])
        elif item != "and":
            groups[-1].append(_convert(item, parent))
    terms = [group[0] if len(group) == 1 else Junction("and", tuple(group)) for group in groups]
    return terms[0] if len(terms) == 1 else Junction("or", tuple(terms))


def _comparison(expr: Any, parent: AttrPath | None) -> Node:
    op = str(expr.value).lower()
    value = expr.comp_value.value if expr.comp_value is not None else None
    path_node = expr.attr_path
    if isinstance(path_node.attr_name, ast.Filter):
        # `emails[type eq "work"].value eq "x"`: the library moves `.value` into the namespace.
        value_filter = path_node.attr_name
        namespace = value_filter.namespace
        owner = _attr_path(namespace, None)
        if parent is not None:
            raise InvalidFilter(f"{owner.name}[...] inside {parent.text}[...]: value filters "
                                "cannot be nested")
        if owner.sub is None:
            raise InvalidFilter(f"{owner.text}[...] {op}: name a sub-attribute after the "
                                f"brackets, e.g. {owner.name}[...].value {op} ...")
        container = AttrPath(owner.uri, owner.name)
        condition = _convert(value_filter.expr, container)
        compared = Comparison(AttrPath(None, owner.sub), op, value)
        return ValuePath(container, Junction("and", (condition, compared)))
    return Comparison(_attr_path(path_node, parent), op, value)


def _attr_path(node: Any, parent: AttrPath | None) -> AttrPath:
    if not isinstance(node, ast.AttrPath) or not isinstance(node.attr_name, str):
        raise InvalidFilter("an attribute path could not be understood")
    sub = node.sub_attr.value if node.sub_attr is not None else None
    path = AttrPath(node.uri, node.attr_name, sub)
    if parent is not None and (path.uri or path.sub):
        raise InvalidFilter(f"inside {parent.text}[...] name a sub-attribute of {parent.name} "
                            f"only, e.g. {parent.name}[type eq \"work\"]; got {path.text}")
    return path
