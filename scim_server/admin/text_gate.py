"""Text the database cannot store is a client error, not a server one.

PostgreSQL refuses NUL characters in text, and no backend can encode a lone UTF-16
surrogate (which JSON's `\\ud800` escapes can produce) as UTF-8: left alone, either would
fail deep in a query as a 500. Every admin input (path values, query string, JSON body)
is checked here first and refused with a 400 problem document that names where.
"""
from __future__ import annotations

import re
from typing import Any

from .errors import Problem

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 64


def first_unstorable(value: Any, where: str = "", depth: int = 0) -> str | None:
    """Where in `value` the first unstorable string sits, or None when all is well."""
    if depth > MAX_DEPTH:
        return None  # deep nesting is refused elsewhere; this walk just stops
    if isinstance(value, str):
        return where or "(value)" if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = (first_unstorable(key, f"{where}/{key!r}", depth + 1)
                     or first_unstorable(item, f"{where}/{key}", depth + 1))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = first_unstorable(item, f"{where}/{index}", depth + 1)
            if found:
                return found
    return None


def refuse_unstorable(value: Any, part: str, slug: str) -> None:
    """Raise a 400 problem when `value` holds a NUL character or a lone surrogate."""
    found = first_unstorable(value)
    if found is not None:
        raise Problem(400, f"the {part} has text that cannot be stored (a NUL character or "
                      f"an unpaired surrogate) at {found}", slug=slug)
