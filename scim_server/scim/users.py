"""/Users endpoints (RFC 7644 §3.3-§3.6): each route is a few lines over shared helpers."""
from __future__ import annotations

from typing import Any

from flask import Response, request
from sqlalchemy import func, select
from sqlalchemy.sql import ColumnElement

from .. import db
from ..models import DirectoryUser
from ..services import directory_users, memberships
from . import context, cursors, patch
from .blueprint import bp
from .bodies import BodySource, expected_version, load_body
from .errors import NotImplementedByServer, scim_response
from .filters import compile_user_filter
from .listing import ListQuery, list_response, parse_list_query, search_params
from .projection import Projection, apply_projection, parse_projection
from .schema_registry import CORE_USER
from .serializers import load_resource
from .sorting import order_by_clause, user_sort_key
from .tolerances import Tolerances, tolerances_for
from .urls import resource_url
from .user_mapping import RESOURCE_TYPE, etag, parse_etag, to_resource, user_data


def _projection() -> Projection:
    return parse_projection(context.registry(), RESOURCE_TYPE, request.args.get("attributes"),
                            request.args.get("excludedAttributes"))


def _render(users: list[DirectoryUser], projection: Projection) -> list[dict[str, Any]]:
    """Resources for a page of users; group memberships in one query, only when shown."""
    groups: dict[str, list[tuple[str, str, str]]] | None = None
    if projection.wants(CORE_USER, "groups"):
        groups = memberships.groups_of_members(db.session(), [u.id for u in users],
                                               context.directory().id)
    registry = context.registry()
    rendered = []
    for user in users:
        group_values = None
        if groups is not None:
            group_values = [{"value": gid, "$ref": resource_url("Groups", gid),
                             "display": name, "type": kind}
                            for gid, name, kind in groups.get(user.id, [])]
        resource = to_resource(user, group_values)
        rendered.append(apply_projection(registry, RESOURCE_TYPE, resource, projection))
    return rendered


def _user_response(user: DirectoryUser, status: int = 200) -> Response:
    body = _render([user], _projection())[0]
    headers = {"ETag": etag(user.version)}
    if status == 201:
        headers["Location"] = resource_url("Users", user.id)
    return scim_response(body, status, headers)


def _directory_tolerances() -> Tolerances:
    return tolerances_for(context.directory().idp)


def create_user_from_body(body: dict[str, Any]) -> DirectoryUser:
    """Provision a user from a POST body (RFC 7644 §3.3)."""
    tolerances = _directory_tolerances()
    parsed = load_body(RESOURCE_TYPE, body, tolerances)
    user = directory_users.create_user(db.session(), context.directory(), user_data(parsed),
                                       context.actor())
    context.record_tolerances(tolerances)
    return user


def replace_user_from_body(user_id: str, body: BodySource, if_match: str | None
                           ) -> DirectoryUser:
    """Replace a user's writable attributes from a PUT body (RFC 7644 §3.5.1)."""
    session = db.session()
    directory = context.directory()
    user = directory_users.get_user(session, directory.id, user_id)
    expected = expected_version(user.version, if_match)
    tolerances = _directory_tolerances()
    parsed = load_body(RESOURCE_TYPE, body(), tolerances)
    user = directory_users.replace_user(session, directory, user, user_data(parsed),
                                        context.actor(), expected_version=expected)
    context.record_tolerances(tolerances)
    return user


def patch_user_from_body(user_id: str, body: BodySource, if_match: str | None) -> DirectoryUser:
    """Apply a PatchOp body to a user (RFC 7644 §3.5.2)."""
    session = db.session()
    directory = context.directory()
    user = directory_users.get_user(session, directory.id, user_id)
    expected = expected_version(user.version, if_match)
    tolerances = _directory_tolerances()
    outcome = patch.apply_patch(context.registry(), RESOURCE_TYPE, dict(user.attributes),
                                body(), tolerances, resource_id=user.id)
    if outcome.changed or outcome.password is not None:
        parsed = load_resource(context.registry(), RESOURCE_TYPE,
                               {"schemas": [CORE_USER], **outcome.document},
                               lenient_booleans=tolerances.lenient_booleans)
        parsed.password = outcome.password
        user = directory_users.replace_user(session, directory, user, user_data(parsed),
                                            context.actor(), expected_version=expected)
    context.record_tolerances(tolerances)
    return user


def delete_user_by_id(user_id: str, if_match: str | None) -> None:
    """Remove a user's SCIM resource (RFC 7644 §3.6); the account stays, deactivated."""
    session = db.session()
    user = directory_users.get_user(session, context.directory().id, user_id)
    directory_users.delete_user(session, context.directory(), user, context.actor(),
                                expected_version=expected_version(user.version, if_match))


@bp.post("/Users")
@context.transactional
def create_user() -> Response:
    return _user_response(create_user_from_body(context.json_body()), 201)


@bp.get("/Users/<user_id>")
def get_user(user_id: str) -> Response:
    user = directory_users.get_user(db.session(), context.directory().id, user_id)
    if parse_etag(request.headers.get("If-None-Match")) in (user.version, True):
        return scim_response(None, 304, {"ETag": etag(user.version)})
    return _user_response(user)


@bp.put("/Users/<user_id>")
@context.transactional
def replace_user(user_id: str) -> Response:
    user = replace_user_from_body(user_id, context.json_body, request.headers.get("If-Match"))
    return _user_response(user)


@bp.patch("/Users/<user_id>")
@context.transactional
def patch_user(user_id: str) -> Response:
    user = patch_user_from_body(user_id, context.json_body, request.headers.get("If-Match"))
    return _user_response(user)


@bp.delete("/Users/<user_id>")
@context.transactional
def delete_user(user_id: str) -> Response:
    delete_user_by_id(user_id, request.headers.get("If-Match"))
    return scim_response(None, 204)


def _filter(query: ListQuery) -> list[ColumnElement[bool]]:
    """The filter's predicate (RFC 7644 §3.4.2.2), or nothing when there is no filter."""
    if not query.filter:
        return []
    directory_id = context.directory().id
    return [compile_user_filter(context.registry(), query.filter, directory_id=directory_id)]


def _sort_key(query: ListQuery) -> ColumnElement[Any] | None:
    return user_sort_key(context.registry(), query.sort_by) if query.sort_by else None


def query_users(query: ListQuery, start_index: int, count: int
                ) -> tuple[int, list[dict[str, Any]]]:
    """Total matches and one page by index (RFC 7644 §3.4.2.4)."""
    session = db.session()
    conditions = [DirectoryUser.directory_id == context.directory().id, *_filter(query)]
    total = session.scalar(select(func.count()).select_from(DirectoryUser).where(*conditions))
    users: list[DirectoryUser] = []
    if count > 0:
        order: list[Any] = []
        key = _sort_key(query)
        if key is not None:
            order.append(order_by_clause(key, query.descending))
        order += [DirectoryUser.created_at, DirectoryUser.id]
        users = list(session.scalars(select(DirectoryUser).where(*conditions).order_by(*order)
                                     .offset(start_index - 1).limit(count)))
    return total or 0, _render(users, query.projection)


def cursor_users(query: ListQuery) -> dict[str, Any]:
    """Total matches and one keyset page by cursor (RFC 9865): deep pages cost the same."""
    assert query.cursor is not None
    session = db.session()
    directory_id = context.directory().id
    scope = DirectoryUser.directory_id == directory_id
    conditions = _filter(query)
    fingerprint = cursors.query_fingerprint(directory_id, RESOURCE_TYPE, query)
    page = cursors.cursor_page(session, DirectoryUser, scope, conditions, _sort_key(query),
                               query.descending, query.cursor, query.count, fingerprint)
    total = session.scalar(select(func.count()).select_from(DirectoryUser)
                           .where(scope, *conditions))
    return cursors.cursor_list_response(_render(page.rows, query.projection), total or 0, page)


def list_users(query: ListQuery) -> Response:
    if query.cursor is not None:
        return scim_response(cursor_users(query))
    total, resources = query_users(query, query.start_index, query.count)
    return scim_response(list_response(resources, total, query.start_index))


def list_query(params: Any) -> ListQuery:
    cfg = context.config()
    return parse_list_query(context.registry(), RESOURCE_TYPE, params,
                            default_count=cfg.default_page_size, max_count=cfg.max_page_size)


@bp.get("/Users")
def list_users_endpoint() -> Response:
    return list_users(list_query(request.args))


@bp.post("/Users/.search")
def search_users() -> Response:
    return list_users(list_query(search_params(context.json_body(), cursors=True)))


@bp.route("/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def me() -> Response:
    """RFC 7644 §3.11: a directory token stands for an identity provider, not a user."""
    raise NotImplementedByServer("/Me is not supported: a directory token is not a user")
