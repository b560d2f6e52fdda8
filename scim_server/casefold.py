"""The one case-folding rule for case-insensitive SCIM comparisons, on both databases.

RFC 7643 §2.2 (`caseExact: false`) leaves the folding to the server. This server uses the
Unicode *simple* lowercase mapping, one character at a time: what PostgreSQL's `lower()`
does under a UTF-8 locale (its default here, `C.UTF-8`). So "Ève" folds to "ève", "ẞ" to
"ß" (not "ss": no full case folding), "İ" to "i" and "I" to "i" (dotless "ı" stays "ı"),
and a final "Σ" to "σ". Python's `str.lower()` differs on two points (it maps "İ" to
"i" + U+0307 and a word-final "Σ" to "ς"), so values are folded here, and SQLite calls
this same function (`scim_fold`, registered on each connection) where PostgreSQL calls
`lower()`: a filter finds the same rows on both backends (`folded`, in SQL).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

SQLITE_FUNCTION = "scim_fold"


def _simple_lower(char: str) -> str:
    lowered = char.lower()
    return lowered if len(lowered) == 1 else lowered[0]  # only "İ": "i" + U+0307 -> "i"


def fold(text: str) -> str:
    """`text` in its case-insensitive form (see the module docstring)."""
    if text.isascii():
        return text.lower()
    return "".join(map(_simple_lower, text))


def sqlite_fold(text: object) -> object:
    """`scim_fold(x)` in SQLite: `fold` for text, anything else (NULL, numbers) unchanged."""
    return fold(text) if isinstance(text, str) else text


class folded(FunctionElement[Any]):  # noqa: N801 - reads like a SQL function
    """The text case-folded by this rule, in SQL.

    PostgreSQL's `lower()` is that rule; SQLite's folds ASCII only, so there the
    `scim_fold` function registered on every connection runs `fold`.
    """

    inherit_cache = True
    type = String()


@compiles(folded)
def _folded(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_pg(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"
