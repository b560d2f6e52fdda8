"""Parsing SCIM filters (RFC 7644 §3.4.2.2): the tree, precedence, literal types, guards."""
from __future__ import annotations

import pytest

from scim_server.scim.errors import InvalidFilter
from scim_server.scim.filter_syntax import (
    MAX_COMPARISONS, MAX_FILTER_LENGTH, MAX_NESTING, AttrPath, Comparison, Junction, Negation,
    Value, ValuePath, parse_filter,
)


def eq(name: str, text: str, sub: str | None = None) -> Comparison:
    return Comparison(AttrPath(None, name, sub), "eq", Value("string", text, f'"{text}"'))


def test_rfc_example_with_value_filter_and_grouping() -> None:
    tree = parse_filter('userType eq "Employee" and (emails co "example.com" or '
                        'emails.value co "example.org")')
    assert isinstance(tree, Junction) and tree.op == "and"
    left, right = tree.items
    assert left == eq("userType", "Employee")
    assert isinstance(right, Junction) and right.op == "or"
    assert right.items[1].path == AttrPath(None, "emails", "value")


def test_and_binds_tighter_than_or() -> None:
    tree = parse_filter('a eq "1" or b eq "2" and c eq "3" or d eq "4"')
    assert tree == Junction("or", (eq("a", "1"),
                                   Junction("and", (eq("b", "2"), eq("c", "3"))),
                                   eq("d", "4")))


def test_brackets_keep_their_meaning() -> None:
    tree = parse_filter('(a eq "1" or b eq "2") and not (c eq "3")')
    assert tree == Junction("and", (Junction("or", (eq("a", "1"), eq("b", "2"))),
                                    Negation(eq("c", "3"))))


def test_literal_kinds_survive_parsing() -> None:
    values = {text: parse_filter(f"x eq {text}").value for text in
              ("true", "false", "null", '"true"', "12", "-3", "2.5e2", '"a\\"b"', '"\\u00e9"')}
    assert values["true"] == Value("boolean", True, "true")
    assert values["false"] == Value("boolean", False, "false")
    assert values["null"] == Value("null", None, "null")
    assert values['"true"'] == Value("string", "true", '"true"')
    assert values["12"].value == 12 and values["-3"].value == -3
    assert values["2.5e2"] == Value("number", 250.0, "2.5e2")
    assert values['"a\\"b"'].value == 'a"b'
    assert values['"\\u00e9"'].value == "é"


def test_value_paths_and_urn_qualified_paths() -> None:
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert parse_filter(f'{urn}:manager.value pr') == Comparison(
        AttrPath(urn, "manager", "value"), "pr", None)
    tree = parse_filter('emails[type eq "work" and not (value ew ".org")]')
    assert tree == ValuePath(AttrPath(None, "emails"), Junction("and", (
        eq("type", "work"),
        Negation(Comparison(AttrPath(None, "value"), "ew", Value("string", ".org", '".org"'))))))


def test_sub_attribute_after_the_brackets_joins_the_value_filter() -> None:
    tree = parse_filter('emails[type eq "work"].value eq "a@b.c"')
    assert tree == ValuePath(AttrPath(None, "emails"),
                             Junction("and", (eq("type", "work"), eq("value", "a@b.c"))))


def test_operators_and_keywords_are_case_insensitive() -> None:
    assert parse_filter('userName EQ "x" AND title Pr') == Junction("and", (
        eq("userName", "x"), Comparison(AttrPath(None, "title"), "pr", None)))


@pytest.mark.parametrize("text", [
    "", "   ", 'a eq "x', "a eq", 'a eq "x" b', "a eq 01", "a eq 1.", 'a eq "\\q"',
    "a eq tru", '"x" eq a', "a[b eq 1", "a eq 1 2", "a eq (1)", "not a pr", "a pr and",
    "a eq 'x'", "a\neq 1", "a eq \"x\"\x00",
])
def test_malformed_filters_raise_invalid_filter(text: str) -> None:
    with pytest.raises(InvalidFilter):
        parse_filter(text)


def test_guards_against_abuse() -> None:
    with pytest.raises(InvalidFilter, match=f"maximum is {MAX_FILTER_LENGTH}"):
        parse_filter('a eq "' + "x" * MAX_FILTER_LENGTH + '"')
    deep = "(" * (MAX_NESTING + 1) + "a pr" + ")" * (MAX_NESTING + 1)
    with pytest.raises(InvalidFilter, match="nests brackets"):
        parse_filter(deep)
    assert parse_filter("(" * MAX_NESTING + "a pr" + ")" * MAX_NESTING)
    with pytest.raises(InvalidFilter, match="comparisons"):
        parse_filter(" and ".join(["a pr"] * (MAX_COMPARISONS + 1)))
    long_chain = parse_filter(" and ".join(["a pr"] * MAX_COMPARISONS))
    assert isinstance(long_chain, Junction) and len(long_chain.items) == MAX_COMPARISONS


def test_errors_point_at_the_problem() -> None:
    with pytest.raises(InvalidFilter, match="unexpected 'b' at position 10"):
        parse_filter('a eq "x" b')
    with pytest.raises(InvalidFilter, match="'regex' is not an operator"):
        parse_filter('a regex "x"')
    with pytest.raises(InvalidFilter, match="ends too early"):
        parse_filter("a eq")
