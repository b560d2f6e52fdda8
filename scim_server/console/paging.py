"""Keyset pages for console lists: `(created_at, id)` newest first, never OFFSET or COUNT.

The cursor is the sort key of the last row shown; the next page is a range read from it
on `ix_accounts_org_created` (a row-value comparison both backends use as an index
range), so page 1,000 of a million accounts costs what page 1 of a thousand does. No
total is counted for the same reason.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

PAGE_SIZE = 50


@dataclass(frozen=True)
class KeysetPage:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    """The (created_at, id) of a cursor; a damaged one means "from the start"."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, ident = json.loads(raw)
        return (datetime.fromisoformat(stamp), str(ident)) if "\x00" not in str(ident) else None
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def newest_first(session: Session, stmt: Select, created: InstrumentedAttribute[Any],
                 ident: InstrumentedAttribute[Any], cursor: str | None,
                 size: int = PAGE_SIZE) -> KeysetPage:
    """One page of `stmt`, newest first, after `cursor`."""
    after = decode_cursor(cursor) if cursor else None
    if after is not None:
        stmt = stmt.where(tuple_(created, ident) < tuple_(*after))
    rows = list(session.scalars(stmt.order_by(created.desc(), ident.desc()).limit(size + 1)))
    items = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = items[-1]
        next_cursor = encode_cursor([getattr(last, created.key), getattr(last, ident.key)])
    return KeysetPage(items, next_cursor)
