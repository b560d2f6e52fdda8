"""The admin blueprint: every URL, with its permission and schemas, declared in one place.

`endpoint(...)` registers a route and records what the OpenAPI document and the scope
checks need; the wrapper it builds validates input, checks the scope, dumps the output,
sets the ETag and commits the request's one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, json, request
from marshmallow import Schema
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from . import auth, context
from .errors import register_error_handlers
from .pagination import Page
from .text_gate import refuse_unstorable

bp = Blueprint("admin", __name__, url_prefix="/admin/v1")
ORG = "/orgs/<org_id>"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Endpoint:
    """One operation of the admin API."""

    rule: str
    method: str
    name: str
    permission: str
    summary: str
    tag: str
    body: type[Schema] | None
    query: type[Schema] | None
    response: type[Schema] | None
    paged: bool
    statuses: tuple[int, ...]


ENDPOINTS: list[Endpoint] = []


def endpoint(rule: str, method: str, *, permission: str, summary: str, tag: str,
             body: type[Schema] | None = None, query: type[Schema] | None = None,
             response: type[Schema] | None = None, paged: bool = False,
             statuses: tuple[int, ...] = (200,)) -> Callable[[Callable[..., Any]], Callable]:
    """Declare an operation; the view gets `body=`/`query=` when schemas are given and
    returns a document, a `Page`, `(document, status)` or None (204)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        spec = Endpoint(rule, method, view.__name__, permission, summary, tag, body, query,
                        response, paged, statuses)
        ENDPOINTS.append(spec)

        @wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            g.admin_endpoint = spec
            refuse_unstorable(kwargs, "path", "invalid-path")
            auth.require(permission)
            if query is not None:
                kwargs["query"] = context.load_query(query())
            if body is not None:
                kwargs["body"] = context.load_body(body())
            result = view(**kwargs)
            response = _respond(spec, result)
            _finish_transaction(method)
            return response

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapper, methods=[method])
        return wrapper

    return decorator


def dump(document: Any, schema: type[Schema] | None = None) -> Any:
    """Dump with `schema`, by default the current endpoint's response schema."""
    schema = schema or g.admin_endpoint.response
    if schema is None:
        raise TypeError(f"endpoint {g.admin_endpoint.name} declares no response schema")
    return schema().dump(document)


def precondition(document: Any, schema: type[Schema] | None = None) -> None:
    """Check `If-Match` against the current representation of the resource."""
    context.check_if_match(dump(document, schema))


def _respond(spec: Endpoint, result: Any) -> Response:
    status = spec.statuses[0]
    if isinstance(result, tuple):
        result, status = result
    if isinstance(result, Response):
        return result
    if result is None:
        return current_app.response_class(status=204)
    headers: dict[str, str] = {}
    if isinstance(result, Page):
        payload: Any = {
            "data": spec.response().dump(result.items, many=True) if spec.response else [],
            "links": {"next": _next_link(result.next_cursor)},
            "meta": {"total": result.total},
        }
    else:
        payload = dump(result)
        headers["ETag"] = context.etag_of(payload)
    response = current_app.response_class(json.dumps(payload, ensure_ascii=False),
                                          status=status, mimetype="application/json")
    response.headers.update(headers)
    return response


def _next_link(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    args = request.args.to_dict(flat=True)
    args["cursor"] = cursor
    return f"{context.public_url()}{request.path}?{urlencode(args)}"


def _finish_transaction(method: str) -> None:
    """Commit once per request; a read commits only a coarse last-used time, best effort."""
    session = db.session()
    if method in WRITE_METHODS:
        session.commit()
    elif g.pop("admin_key_touched", False):
        try:
            session.commit()
        except SQLAlchemyError:  # a busy database must not fail a good read
            session.rollback()


@bp.url_value_preprocessor
def _bind_org(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "org_id" in values:
        auth.authenticate(values.pop("org_id"))


register_error_handlers(bp)

from . import (audit_log, directories, groups, keys, openapi, products,  # noqa: E402,F401
               sites, users)
from . import access_requests, activity, domains  # noqa: E402,F401
from . import invitations, outbox  # noqa: E402,F401
from . import directory_health  # noqa: E402,F401
from . import reference  # noqa: E402,F401
