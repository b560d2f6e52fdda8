"""/Users endpoints (RFC 7644 §3.3-§3.6): each route is a few lines over shared helpers."""
from __future__ import annotations

from typing import Any

from flask import Response, request
from sqlalchemy import func, select

from .. import db
from ..models import DirectoryUser
from ..services import directory_users, memberships
from . import context, patch
from .blueprint import bp
from .errors import NotImplementedByServer, PreconditionFailed, scim_response
from .filters import compile_user_filter
from .listing import ListQuery, list_response, parse_list_query, search_params
from .projection import Projection, apply_projection, parse_projection
from .schema_registry import CORE_USER
from .serializers import ParsedResource, load_resource
from .sorting import order_by_clause, user_sort_key
from .tolerances import tolerances_for
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


def _expected_version(user: DirectoryUser) -> int | None:
    """`If-Match` (RFC 7644 §3.14): a stale version fails with 412 before any change."""
    wanted = parse_etag(request.headers.get("If-Match"))
    if wanted is None or wanted is True:
        return None
    if wanted != user.version:
        raise PreconditionFailed(
            f"If-Match {request.headers.get('If-Match')} does not match the current version "
            f"{etag(user.version)}")
    return user.version


def _lenient() -> bool:
    return tolerances_for(context.directory().idp).lenient_booleans


def _parse_body() -> ParsedResource:
    return load_resource(context.registry(), RESOURCE_TYPE, context.json_body(),
                         lenient_booleans=_lenient())


@bp.post("/Users")
@context.transactional
def create_user() -> Response:
    parsed = _parse_body()
    user = directory_users.create_user(db.session(), context.directory(), user_data(parsed),
                                       context.actor())
    return _user_response(user, 201)


@bp.get("/Users/<user_id>")
def get_user(user_id: str) -> Response:
    user = directory_users.get_user(db.session(), context.directory().id, user_id)
    if parse_etag(request.headers.get("If-None-Match")) in (user.version, True):
        return scim_response(None, 304, {"ETag": etag(user.version)})
    return _user_response(user)


@bp.put("/Users/<user_id>")
@context.transactional
def replace_user(user_id: str) -> Response:
    session = db.session()
    user = directory_users.get_user(session, context.directory().id, user_id)
    expected = _expected_version(user)
    parsed = _parse_body()
    user = directory_users.replace_user(session, context.directory(), user, user_data(parsed),
                                        context.actor(), expected_version=expected)
    return _user_response(user)


@bp.patch("/Users/<user_id>")
@context.transactional
def patch_user(user_id: str) -> Response:
    session = db.session()
    directory = context.directory()
    user = directory_users.get_user(session, directory.id, user_id)
    expected = _expected_version(user)
    tolerances = tolerances_for(directory.idp)
    outcome = patch.apply_patch(context.registry(), RESOURCE_TYPE, dict(user.attributes),
                                context.json_body(), tolerances, resource_id=user.id)
    context.record_tolerances(tolerances)
    if outcome.changed or outcome.password is not None:
        parsed = load_resource(context.registry(), RESOURCE_TYPE,
                               {"schemas": [CORE_USER], **outcome.document},
                               lenient_booleans=tolerances.lenient_booleans)
        parsed.password = outcome.password
        user = directory_users.replace_user(session, directory, user, user_data(parsed),
                                            context.actor(), expected_version=expected)
    return _user_response(user)


@bp.delete("/Users/<user_id>")
@context.transactional
def delete_user(user_id: str) -> Response:
    session = db.session()
    user = directory_users.get_user(session, context.directory().id, user_id)
    directory_users.delete_user(session, context.directory(), user, context.actor(),
                                expected_version=_expected_version(user))
    return scim_response(None, 204)


def query_users(query: ListQuery, start_index: int, count: int
                ) -> tuple[int, list[dict[str, Any]]]:
    """Total matches and one page of resources: a count, a page query, one groups query."""
    registry = context.registry()
    session = db.session()
    directory_id = context.directory().id
    conditions = [DirectoryUser.directory_id == directory_id]
    if query.filter:
        conditions.append(compile_user_filter(registry, query.filter, directory_id=directory_id))
    total = session.scalar(select(func.count()).select_from(DirectoryUser).where(*conditions))
    users: list[DirectoryUser] = []
    if count > 0:
        order = []
        if query.sort_by:
            order.append(order_by_clause(user_sort_key(registry, query.sort_by), query.descending))
        order += [DirectoryUser.created_at, DirectoryUser.id]
        users = list(session.scalars(select(DirectoryUser).where(*conditions).order_by(*order)
                                     .offset(start_index - 1).limit(count)))
    return total or 0, _render(users, query.projection)


def list_users(query: ListQuery) -> Response:
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
    return list_users(list_query(search_params(context.json_body())))


@bp.route("/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def me() -> Response:
    """RFC 7644 §3.11: a directory token stands for an identity provider, not a user."""
    raise NotImplementedByServer("/Me is not supported: a directory token is not a user")
