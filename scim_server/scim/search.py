"""POST `/.search` at the service provider root: Users and Groups at once (RFC 7644 §3.4.3).

Each resource type takes the parts of the request it understands: a filter or attribute
that names nothing in a type leaves that type out, and fails only if no type remains.
Results list Users first, then Groups, each in its own order; paging runs over the whole.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Response

from . import context, groups, users
from .blueprint import bp
from .errors import InvalidFilter, InvalidValue, ScimError, scim_response
from .listing import ListQuery, list_response, search_params

Querier = Callable[[ListQuery, int, int], tuple[int, list[dict[str, Any]]]]


def _plan(params: dict[str, Any]) -> list[tuple[ListQuery, Querier]]:
    plans: list[tuple[ListQuery, Querier]] = []
    first_error: ScimError | None = None
    for make_query, querier in ((users.list_query, users.query_users),
                                (groups.list_query, groups.query_groups)):
        try:
            query = make_query(params)
            querier(query, 1, 0)  # compiles the filter; counts only
        except (InvalidFilter, InvalidValue) as exc:
            first_error = first_error or exc
            continue
        plans.append((query, querier))
    if not plans:
        assert first_error is not None
        raise first_error
    return plans


@bp.post("/.search")
def search_everything() -> Response:
    params = search_params(context.json_body())
    plans = _plan(params)
    start, count = plans[0][0].start_index, plans[0][0].count
    total, resources, skipped = 0, [], start - 1
    for query, querier in plans:
        matched, _ = querier(query, 1, 0)
        total += matched
        take = count - len(resources)
        if skipped >= matched:
            skipped -= matched
            continue
        if take > 0:
            _, page = querier(query, skipped + 1, take)
            resources.extend(page)
        skipped = 0
    return scim_response(list_response(resources, total, start))
