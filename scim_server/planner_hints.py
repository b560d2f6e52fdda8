"""Hints for SQLite's query planner where its estimates go wrong; other backends ignore them.

SQLite cannot know how many rows a recursive CTE yields and assumes many. On a join
with such a CTE it then builds a Bloom filter, or an automatic index, over the other
table before the walk starts: a full scan of that table. The nesting walk
(services/group_nesting.py) visits a handful of groups, so each of its steps is declared
selective with SQLite's `likelihood()` (https://sqlite.org/lang_corefunc.html#likelihood):
the estimate drops, and the planner looks rows up by index instead. PostgreSQL, whose
planner needs no such help here, gets the condition unchanged.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.types import NullType
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

#: The share of rows SQLite is told pass a `selective` condition.
SELECTIVITY = 0.001


class selective(FunctionElement[bool]):  # noqa: N801 - used like a SQL function
    """`selective(condition)`: the condition, which holds for few rows (see module).

    Typed as no type, not Boolean: on a backend without a boolean type SQLAlchemy would
    write `likelihood(...) = 1`, and SQLite reads the hint only where the function is the
    whole term.
    """

    type = NullType()
    inherit_cache = True
    name = "selective"


@compiles(selective)
def _as_is(element: selective, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)})"


@compiles(selective, "sqlite")
def _likelihood(element: selective, compiler: Any, **kw: Any) -> str:
    return f"likelihood({compiler.process(element.clauses, **kw)}, {SELECTIVITY})"
