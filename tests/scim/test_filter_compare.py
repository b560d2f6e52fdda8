"""Typed comparisons rendered for both databases: escaping, collation, case and null rules."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql, sqlite

from scim_server.scim.errors import InvalidFilter
from scim_server.scim.filter_compare import (
    Operand, code_point_order, compare, escape_like, present, scim_timestamp,
)
from scim_server.scim.filter_syntax import Value

table = Table("t", MetaData(), Column("s", String(400)), Column("n", String(400)),
              Column("b", Boolean), Column("i", Integer), Column("d", DateTime(timezone=True)))
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.psycopg.dialect()}


def sql(expr: Any, dialect: str) -> str:
    return str(expr.compile(dialect=DIALECTS[dialect], compile_kwargs={"literal_binds": True}))


def string(text: str) -> Value:
    return Value("string", text, f'"{text}"')


def test_escape_like_takes_wildcards_and_the_escape_literally() -> None:
    assert escape_like(r"50%_off\now") == r"50\%\_off\\now"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_contains_uses_like_with_an_explicit_escape(dialect: str) -> None:
    operand = Operand(table.c.n, "string", "userName", fold=True)
    rendered = sql(compare(operand, "co", string("A%b")), dialect)
    assert "LIKE" in rendered and "ESCAPE '\\'" in rendered
    assert "a\\%" in rendered and "A\\%" not in rendered  # escaped, and lowered


@pytest.mark.parametrize("dialect", DIALECTS)
def test_case_exact_matches_add_a_case_sensitive_check(dialect: str) -> None:
    operand = Operand(table.c.s, "string", "externalId")
    assert "replace(t.s" in sql(compare(operand, "co", string("Ab")), dialect)
    assert "substr(t.s, 1, 2)" in sql(compare(operand, "sw", string("Ab")), dialect)
    assert "length(t.s)" in sql(compare(operand, "ew", string("Ab")), dialect)


def test_string_order_is_by_code_point_on_both_databases() -> None:
    assert 'COLLATE "C"' in sql(code_point_order(table.c.s), "postgresql")
    assert "COLLATE" not in sql(code_point_order(table.c.s), "sqlite")


def test_json_datetimes_compare_as_instants() -> None:
    assert sql(scim_timestamp(table.c.s), "sqlite") == "julianday(t.s)"
    assert sql(scim_timestamp(table.c.s), "postgresql") == \
        "CAST(t.s AS TIMESTAMP WITH TIME ZONE)"


def test_predicates_on_nullable_attributes_are_two_valued() -> None:
    operand = Operand(table.c.s, "string", "title")
    assert "t.s IS NOT NULL" in sql(compare(operand, "eq", string("x")), "sqlite")
    assert "t.s IS NOT NULL" in sql(compare(operand, "gt", string("x")), "sqlite")
    not_null = Operand(table.c.s, "string", "userName", nullable=False)
    assert "IS NOT NULL" not in sql(compare(not_null, "eq", string("x")), "sqlite")
    assert sql(present(operand), "sqlite") == "t.s IS NOT NULL AND t.s != ''"


def test_folded_operands_lower_the_literal() -> None:
    operand = Operand(table.c.n, "string", "userName", fold=True)
    assert sql(compare(operand, "eq", string("BoB")), "sqlite") == "t.n IS NOT NULL AND t.n = 'bob'"


def test_long_literals_check_the_full_value_behind_a_norm_column() -> None:
    operand = Operand(table.c.n, "string", "emails.value", fold=True, raw=table.c.s,
                      norm_length=5)
    rendered = sql(compare(operand, "eq", string("abcdefg")), "sqlite")
    assert "t.n = 'abcde'" in rendered and "scim_fold(t.s) = 'abcdefg'" in rendered
    assert "lower(t.s) = 'abcdefg'" in sql(compare(operand, "eq", string("abcdefg")), "postgresql")


@pytest.mark.parametrize(("operand", "op", "value", "message"), [
    (Operand(table.c.b, "boolean", "active"), "gt", Value("boolean", True, "true"),
     "only eq, ne and pr"),
    (Operand(table.c.b, "boolean", "active"), "eq", string("true"), "without quotes"),
    (Operand(table.c.i, "integer", "level"), "co", Value("number", 1, "1"), "strings only"),
    (Operand(table.c.i, "integer", "level"), "eq", string("1"), "without quotes"),
    (Operand(table.c.d, "dateTime", "meta.created"), "eq", string("soon"), "RFC 3339"),
    (Operand(table.c.d, "dateTime", "meta.created"), "sw", string("2024"), "not sw"),
    (Operand(table.c.s, "binary", "x509Certificates.value"), "co", string("x"), "binary"),
    (Operand(table.c.s, "string", "title"), "eq", Value("number", 1, "1"), "quoted string"),
    (Operand(table.c.s, "string", "title"), "lt", Value("null", None, "null"), "eq or ne"),
])
def test_type_mismatches_are_invalid_filter(operand: Operand, op: str, value: Value,
                                            message: str) -> None:
    with pytest.raises(InvalidFilter, match=message):
        compare(operand, op, value)
