"""Listing a resource type (RFC 7644 §3.4.2) by index or by cursor (RFC 9865).

Users and Groups list the same way; each supplies a `ListSource` naming its table, its
filter compiler, its sort keys and how a page of rows becomes resources.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from flask import Response
from sqlalchemy import func, select
from sqlalchemy.sql import ColumnElement

from .. import db
from . import context, cursors
from .errors import scim_response
from .listing import ListQuery, list_response, parse_list_query
from .projection import Projection
from .schema_registry import SchemaRegistry
from .sorting import order_by_clause

FilterCompiler = Callable[..., ColumnElement[bool]]
SortKey = Callable[[SchemaRegistry, str], ColumnElement[Any]]
Renderer = Callable[[Sequence[Any], Projection], list[dict[str, Any]]]


@dataclass(frozen=True)
class ListSource:
    """How one resource type is listed."""

    resource_type: str
    model: Any  # a mapped class with directory_id, created_at and id columns
    compile_filter: FilterCompiler
    sort_key: SortKey
    render: Renderer

    def conditions(self, query: ListQuery) -> list[ColumnElement[bool]]:
        """The filter's predicate (RFC 7644 §3.4.2.2), or nothing when there is no filter."""
        if not query.filter:
            return []
        return [self.compile_filter(context.registry(), query.filter,
                                    directory_id=context.directory().id)]

    def order_key(self, query: ListQuery) -> ColumnElement[Any] | None:
        return self.sort_key(context.registry(), query.sort_by) if query.sort_by else None

    def count(self, scope: ColumnElement[bool], conditions: list[ColumnElement[bool]]) -> int:
        return db.session().scalar(
            select(func.count()).select_from(self.model).where(scope, *conditions)) or 0


def list_query(resource_type: str, params: Any) -> ListQuery:
    cfg = context.config()
    return parse_list_query(context.registry(), resource_type, params,
                            default_count=cfg.default_page_size, max_count=cfg.max_page_size)


def index_page(source: ListSource, query: ListQuery, start_index: int, count: int
               ) -> tuple[int, list[dict[str, Any]]]:
    """Total matches and one page by index (RFC 7644 §3.4.2.4): a count and a page query."""
    model = source.model
    scope = model.directory_id == context.directory().id
    conditions = source.conditions(query)
    total = source.count(scope, conditions)
    rows: list[Any] = []
    if count > 0 and start_index <= total:
        order: list[Any] = []
        key = source.order_key(query)
        if key is not None:
            order.append(order_by_clause(key, query.descending))
        order += [model.created_at, model.id]
        rows = list(db.session().scalars(select(model).where(scope, *conditions)
                                         .order_by(*order).offset(start_index - 1).limit(count)))
    return total, source.render(rows, query.projection)


def cursor_page(source: ListSource, query: ListQuery) -> dict[str, Any]:
    """One keyset page by cursor (RFC 9865): deep pages cost the same; the total is counted
    on the first page and carried by the cursors after it (`cursors` module docstring)."""
    assert query.cursor is not None
    directory_id = context.directory().id
    scope = source.model.directory_id == directory_id
    conditions = source.conditions(query)
    fingerprint = cursors.query_fingerprint(directory_id, source.resource_type, query)
    page = cursors.cursor_page(db.session(), source.model, scope, conditions,
                               source.order_key(query), query.descending, query.cursor,
                               query.count, fingerprint,
                               lambda: source.count(scope, conditions))
    return cursors.cursor_list_response(source.render(page.rows, query.projection), page)


def list_resources(source: ListSource, query: ListQuery) -> Response:
    """A ListResponse by cursor when one was given, else by index."""
    if query.cursor is not None:
        return scim_response(cursor_page(source, query))
    total, resources = index_page(source, query, query.start_index, query.count)
    return scim_response(list_response(resources, total, query.start_index))
