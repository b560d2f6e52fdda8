"""/Users endpoints (RFC 7644 §3.3-§3.6): each route is a few lines over shared helpers."""
from __future__ import annotations

from typing import Any

from flask import Response, request

from .. import db
from ..models import DirectoryUser
from ..services import directory_users, memberships, user_batches
from ..services.directory_users import UserData
from . import context, patch, resource_lists
from .blueprint import bp
from .bodies import BodySource, expected_version, load_body
from .errors import NotImplementedByServer, scim_response
from .password_hashes import prehash, prehash_body
from .filters import compile_user_filter
from .listing import ListQuery, search_params
from .projection import Projection, apply_projection, parse_projection
from .schema_registry import CORE_USER
from .serializers import load_resource
from .sorting import user_sort_key
from .tolerances import Tolerances, tolerances_for
from .urls import resource_url
from .user_mapping import RESOURCE_TYPE, etag, etag_matches, to_resource, user_data


def _projection() -> Projection:
    return parse_projection(context.registry(), RESOURCE_TYPE, request.args.get("attributes"),
                            request.args.get("excludedAttributes"))


def _render(users: list[DirectoryUser], projection: Projection, *, fresh: bool = False
            ) -> list[dict[str, Any]]:
    """Resources for a page of users; group memberships in one query, only when shown.

    A `fresh` user, whose account this very transaction made, is in no group yet (a
    membership names an existing member, and no one else can see the new id before the
    commit), so its `groups` is known to be empty without asking the database.
    """
    groups: dict[str, list[tuple[str, str, str]]] | None = None
    if fresh:
        groups = {}
    elif projection.wants(CORE_USER, "groups"):
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


def _user_response(user: DirectoryUser, status: int = 200, *, fresh: bool = False) -> Response:
    body = _render([user], _projection(), fresh=fresh)[0]
    headers = {"ETag": etag(user.version)}
    if status == 201:
        headers["Location"] = resource_url("Users", user.id)
    return scim_response(body, status, headers)


def _directory_tolerances() -> Tolerances:
    return tolerances_for(context.directory().idp)


def create_user_from_body(body: dict[str, Any]) -> DirectoryUser:
    """Provision a user from a POST body (RFC 7644 §3.3)."""
    return _provision(body)[0]


def _provision(body: dict[str, Any]) -> tuple[DirectoryUser, bool]:
    """The new user, and whether it linked an existing account (see `provision_user`)."""
    data, tolerances = parse_new_user(body)
    session, directory = db.session(), context.directory()
    if user_batches.fresh_prefix(session, directory, [data]) == 1:
        created = user_batches.create_fresh(session, directory, [data], context.actor())[0]
        outcome = created, False
    else:
        outcome = directory_users.provision_user(session, directory, data, context.actor())
    context.record_tolerances(tolerances)
    return outcome


def parse_new_user(body: dict[str, Any]) -> tuple[UserData, Tolerances]:
    """A POST body as the services take it (validated, its passwords hashed), and the
    workarounds it needed, to record once the user is created."""
    prehash(body)
    tolerances = _directory_tolerances()
    return user_data(load_body(RESOURCE_TYPE, body, tolerances)), tolerances


def replace_user_from_body(user_id: str, body: BodySource, if_match: str | None
                           ) -> DirectoryUser:
    """Replace a user's writable attributes from a PUT body (RFC 7644 §3.5.1)."""
    prehash_body(body)
    tolerances = _directory_tolerances()
    parsed = load_body(RESOURCE_TYPE, body(), tolerances)  # before the lock: no I/O
    session = db.session()
    directory = context.directory()
    user = directory_users.get_user(session, directory.id, user_id, lock=True)
    expected = expected_version(user.version, if_match)
    user = directory_users.replace_user(session, directory, user, user_data(parsed),
                                        context.actor(), expected_version=expected)
    context.record_tolerances(tolerances)
    return user


def patch_user_from_body(user_id: str, body: BodySource, if_match: str | None) -> DirectoryUser:
    """Apply a PatchOp body to a user (RFC 7644 §3.5.2)."""
    prehash_body(body)
    session = db.session()
    directory = context.directory()
    user = directory_users.get_user(session, directory.id, user_id, lock=True)
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
    user = directory_users.get_user(session, context.directory().id, user_id, lock=True)
    directory_users.delete_user(session, context.directory(), user, context.actor(),
                                expected_version=expected_version(user.version, if_match))


@bp.post("/Users")
@context.transactional
def create_user() -> Response:
    user, linked = _provision(context.json_body())
    context.end_writes(user)
    return _user_response(user, 201, fresh=not linked)


@bp.get("/Users/<user_id>")
def get_user(user_id: str) -> Response:
    user = directory_users.get_user(db.session(), context.directory().id, user_id)
    if etag_matches(request.headers.get("If-None-Match"), user.version):
        return scim_response(None, 304, {"ETag": etag(user.version)})
    return _user_response(user)


@bp.put("/Users/<user_id>")
@context.transactional
def replace_user(user_id: str) -> Response:
    user = replace_user_from_body(user_id, context.json_body, request.headers.get("If-Match"))
    context.end_writes(user)
    return _user_response(user)


@bp.patch("/Users/<user_id>")
@context.transactional
def patch_user(user_id: str) -> Response:
    user = patch_user_from_body(user_id, context.json_body, request.headers.get("If-Match"))
    context.end_writes(user)
    return _user_response(user)


@bp.delete("/Users/<user_id>")
@context.transactional
def delete_user(user_id: str) -> Response:
    delete_user_by_id(user_id, request.headers.get("If-Match"))
    return scim_response(None, 204)


USERS = resource_lists.ListSource(
    RESOURCE_TYPE, DirectoryUser, compile_user_filter, user_sort_key, _render)


def query_users(query: ListQuery, start_index: int, count: int
                ) -> tuple[int, list[dict[str, Any]]]:
    """Total matches and one page by index (for the root `.search`)."""
    return resource_lists.index_page(USERS, query, start_index, count)


def list_query(params: Any) -> ListQuery:
    return resource_lists.list_query(RESOURCE_TYPE, params)


@bp.get("/Users")
def list_users_endpoint() -> Response:
    return resource_lists.list_resources(USERS, list_query(request.args))


@bp.post("/Users/.search")
def search_users() -> Response:
    return resource_lists.list_resources(USERS,
                                          list_query(search_params(context.json_body(),
                                                                   cursors=True)))


@bp.route("/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def me() -> Response:
    """RFC 7644 §3.11: a directory token stands for an identity provider, not a user."""
    raise NotImplementedByServer("/Me is not supported: a directory token is not a user")
