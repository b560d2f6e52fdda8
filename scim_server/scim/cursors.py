"""Cursor pagination (RFC 9865) over keyset pages: a deep page costs what the first does.

A page is read as `WHERE (key, created_at, id) > (anchor) ORDER BY key, created_at, id
LIMIT count + 1`; the row-value comparison is spelled out with OR/AND so it is portable.
In the default order it is preceded by the range `created_at >= :anchor` (`<=` going
back), which the OR form implies: that range is what lets the `(directory_id, created_at,
id)` index *start* at the anchor instead of reading every row before it, so a page near
the end of a million users costs what the first page does. A cursor is
opaque to clients: base64url of the anchor row's `created_at` and `id`, the direction, the
total the first page counted, and a fingerprint of the query (directory, resource type,
filter, sortBy, sortOrder), so a cursor reused with another query is refused as
`invalidCursor` (RFC 9865 §2.2) rather than silently paging something else.

`totalResults`: RFC 9865 §2.2 keeps RFC 7644 §3.4.1's "SHOULD return an accurate value"
and lets a provider that cannot estimate it omit it. The first page (an empty cursor)
counts the matches exactly; later pages repeat that count, carried in the cursor, as the
estimate, instead of counting the whole directory again on every page (which is what made
each page of a walk cost as much as a full count). Under `sortBy` the anchor's sort value is read back
from the database by id, never trusted from the client; if that row is gone the cursor
has expired (`expiredCursor`).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from sqlalchemy import and_, false, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from .errors import ExpiredCursor, InvalidCursor
from .listing import LIST_RESPONSE, ListQuery

MAX_CURSOR_LENGTH = 512
_FORWARD, _BACKWARD = "n", "p"


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or, going back, before) the anchor row."""

    fingerprint: str
    created_at: datetime
    id: str
    backwards: bool = False
    #: The matches the first page counted: later pages report it as totalResults.
    total: int | None = None


@dataclass(frozen=True)
class OrderKey:
    """One term of the page order; `nullable` keys sort missing values as `order_by_clause`."""

    expr: ColumnElement[Any]
    descending: bool = False
    nullable: bool = True


@dataclass
class Page:
    """The rows of one page, and the cursors of its neighbours (None: there is none)."""

    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    total: int = 0


def query_fingerprint(directory_id: str, resource_type: str, query: ListQuery) -> str:
    """What a cursor is bound to: the same directory, resource type, filter and order."""
    text = json.dumps([directory_id, resource_type, query.filter, query.sort_by,
                       query.descending])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def encode_cursor(cursor: Cursor) -> str:
    """The opaque text of a cursor (RFC 9865 §2: a string the client sends back as is)."""
    data: dict[str, Any] = {"q": cursor.fingerprint, "t": cursor.created_at.isoformat(),
                            "i": cursor.id, "d": _BACKWARD if cursor.backwards else _FORWARD}
    if cursor.total is not None:
        data["n"] = cursor.total
    payload = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(text: str, fingerprint: str) -> Cursor:
    """Read a cursor back; anything malformed or minted for another query is invalidCursor."""
    if len(text) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("the cursor is malformed: send nextCursor or previousCursor back "
                            "unchanged, or an empty cursor for the first page")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw.decode())
        created_at = datetime.fromisoformat(data["t"])
        anchor, direction, bound, total = data["i"], data["d"], data["q"], data.get("n")
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError, KeyError):
        raise InvalidCursor("the cursor is malformed: send nextCursor or previousCursor back "
                            "unchanged, or an empty cursor for the first page") from None
    if (not isinstance(anchor, str) or not anchor or len(anchor) > 64
            or direction not in (_FORWARD, _BACKWARD) or created_at.tzinfo is None
            or not (total is None or (type(total) is int and 0 <= total < 2**53))):
        raise InvalidCursor("the cursor is malformed: send nextCursor or previousCursor back "
                            "unchanged, or an empty cursor for the first page")
    if bound != fingerprint:
        raise InvalidCursor("the cursor belongs to another query: keep filter, sortBy and "
                            "sortOrder unchanged while paging, or start again with an empty "
                            "cursor")
    return Cursor(fingerprint, created_at, anchor, direction == _BACKWARD, total)


def order_by(keys: Sequence[OrderKey], backwards: bool = False) -> list[ColumnElement[Any]]:
    """The ORDER BY terms; going back reverses every term, missing values included."""
    terms: list[ColumnElement[Any]] = []
    for key in keys:
        descending = key.descending != backwards
        term = key.expr.desc() if descending else key.expr.asc()
        if key.nullable:
            term = term.nulls_first() if descending else term.nulls_last()
        terms.append(term)
    return terms


def after(keys: Sequence[OrderKey], values: Sequence[Any],
          backwards: bool = False) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys` (before them when `backwards`).

    `(k1, k2) > (v1, v2)` written as `k1 > v1 OR (k1 = v1 AND k2 > v2)`, with the missing
    values of a nullable key placed where `order_by` puts them.
    """
    condition: ColumnElement[bool] = false()
    for key, value in reversed(list(zip(keys, values))):
        descending = key.descending != backwards
        condition = _after_one(key, value, descending, condition)
    return condition


def _after_one(key: OrderKey, value: Any, descending: bool,
               rest: ColumnElement[bool]) -> ColumnElement[bool]:
    expr = key.expr
    if value is None:
        # Missing values come last ascending and first descending.
        tied = and_(expr.is_(None), rest)
        return or_(expr.is_not(None), tied) if descending else tied
    bound = literal(value, expr.type)
    beyond = expr < bound if descending else expr > bound
    tied = and_(expr == bound, rest)
    if key.nullable and not descending:
        return or_(beyond, expr.is_(None), tied)
    return or_(beyond, tied)


def cursor_page(session: Session, model: Any, scope: ColumnElement[bool],
                conditions: Sequence[ColumnElement[bool]], sort_key: ColumnElement[Any] | None,
                descending: bool, cursor_text: str, count: int, fingerprint: str,
                count_total: Callable[[], int]) -> Page:
    """One keyset page of `model` rows within `scope` (the tenant) matching `conditions`.

    `count_total` counts every match; it runs for the first page only (see the module
    docstring), or for a cursor minted before cursors carried the count.
    """
    keys: list[OrderKey] = []
    if sort_key is not None:
        keys.append(OrderKey(sort_key, descending))
    keys += [OrderKey(model.created_at, nullable=False), OrderKey(model.id, nullable=False)]
    position = decode_cursor(cursor_text, fingerprint) if cursor_text else None
    backwards = bool(position and position.backwards)
    statement = select(model).where(scope, *conditions)
    if position is not None:
        values: list[Any] = [position.created_at, position.id]
        if sort_key is not None:
            values.insert(0, _anchor_value(session, model, scope, sort_key, position))
        statement = statement.where(after(keys, values, backwards))
        if sort_key is None:  # the index range the OR form implies (module docstring)
            statement = statement.where(model.created_at <= position.created_at if backwards
                                        else model.created_at >= position.created_at)
    total = count_total() if position is None or position.total is None else position.total
    rows: list[Any] = []
    if count > 0:
        rows = list(session.scalars(statement.order_by(*order_by(keys, backwards))
                                    .limit(count + 1)))
    more = len(rows) > count
    rows = rows[:count]
    if backwards:
        rows.reverse()
    first = _cursor_at(rows[0], fingerprint, total, backwards=True) if rows else None
    last = _cursor_at(rows[-1], fingerprint, total, backwards=False) if rows else None
    if backwards:
        return Page(rows, last, first if more else None, total)
    return Page(rows, last if more else None, first if position is not None else None, total)


def _anchor_value(session: Session, model: Any, scope: ColumnElement[bool],
                  sort_key: ColumnElement[Any], position: Cursor) -> Any:
    """The anchor row's sort value, as the database holds it (so its type is right)."""
    found = session.execute(select(sort_key).where(scope, model.id == position.id)).first()
    if found is None:
        raise ExpiredCursor("the resource this cursor continues from no longer exists; start "
                            "again with an empty cursor")
    return found[0]


def _cursor_at(row: Any, fingerprint: str, total: int, *, backwards: bool) -> str:
    return encode_cursor(Cursor(fingerprint, row.created_at, row.id, backwards, total))


def cursor_list_response(resources: list[dict[str, Any]], page: Page) -> dict[str, Any]:
    """A ListResponse for cursor paging (RFC 9865 §2.1): no startIndex, cursors instead."""
    body: dict[str, Any] = {"schemas": [LIST_RESPONSE], "totalResults": page.total,
                            "itemsPerPage": len(resources)}
    if page.next_cursor is not None:
        body["nextCursor"] = page.next_cursor
    if page.previous_cursor is not None:
        body["previousCursor"] = page.previous_cursor
    body["Resources"] = resources
    return body
