"""Cursor pagination for every admin list: keyset over a stable sort, never OFFSET.

The cursor is opaque to clients: the sort key of the last item of the page, encoded.
A deep page costs the same as the first (an index range scan from the cursor).
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeDecorator

from .errors import Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class SortKey:
    """One column of the keyset; the last one must be unique (an id)."""

    column: InstrumentedAttribute[Any]
    descending: bool = False


@dataclass(frozen=True)
class Page:
    """One page of rows, the cursor of the next page (or None) and the filtered total."""

    items: list[Any]
    next_cursor: str | None
    total: int


def _encode(values: list[Any]) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """The key values of a cursor, each checked against its column's type.

    A cursor is client input: a value of the wrong type (an id where a timestamp belongs,
    a number where an id belongs) would reach the database and fail there, so it is a 400.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
        if not isinstance(plain, list) or len(plain) != len(keys):
            raise ValueError("wrong shape")
        return [_value(key, value) for key, value in zip(keys, plain)]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError,
            RecursionError) as exc:
        raise Problem(400, "the cursor is malformed; use the `links.next` URL of a page as is",
                      slug="invalid-cursor") from exc


def _value(key: SortKey, value: Any) -> Any:
    """One key value decoded for its column: a timestamp, an integer or a string."""
    column_type = key.column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        expected = column_type.python_type
    except NotImplementedError:
        expected = str
    if issubclass(expected, datetime):
        if not isinstance(value, dict) or set(value) != {"t"} or not isinstance(value["t"], str):
            raise ValueError("not a timestamp")
        return datetime.fromisoformat(value["t"])
    if issubclass(expected, int):
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2 ** 63:
            raise ValueError("not an integer key")
        return value
    if not isinstance(value, str) or len(value) > 1000 or "\x00" in value:
        raise ValueError("not a string key")
    return value


def _after(keys: Sequence[SortKey], values: list[Any]) -> Any:
    """Rows strictly after `values` in the sort order (portable form of a row comparison)."""
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j].column == values[j] for j in range(i)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def paginate(session: Session, stmt: Select, keys: Sequence[SortKey], *, limit: int | None,
             cursor: str | None) -> Page:
    """Run `stmt` for one page after `cursor`, ordered by `keys`."""
    limit = limit or DEFAULT_LIMIT
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
                or 0)
    page_stmt = stmt
    if cursor:
        page_stmt = page_stmt.where(_after(keys, _decode(cursor, keys)))
    order = [k.column.desc() if k.descending else k.column.asc() for k in keys]
    rows = list(session.scalars(page_stmt.order_by(*order).limit(limit + 1)))
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode([getattr(last, k.column.key) for k in keys])
    return Page(items, next_cursor, total)
