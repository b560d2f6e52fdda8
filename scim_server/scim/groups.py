"""/Groups endpoints (RFC 7644 §3.3-§3.6), with membership costs bounded by the change."""
from __future__ import annotations

import json
from typing import Any, Iterator

from flask import Response, current_app, request
from sqlalchemy.orm import Session

from .. import db
from ..models import Group
from ..services import directory_groups
from ..services.directory_groups import MemberEdit
from . import context, member_budget, patch, resource_lists
from .blueprint import bp
from .bodies import BodySource, expected_version, load_body
from .errors import scim_response
from .filters import compile_group_filter
from .group_mapping import (RESOURCE_TYPE, group_data, members_of, stream_members_json,
                            to_resource)
from .listing import ListQuery, search_params
from .projection import Projection, apply_projection, parse_projection
from .schema_registry import CORE_GROUP
from .serializers import load_resource
from .sorting import group_sort_key
from .tolerances import Tolerances, tolerances_for
from .urls import base_url, resource_url
from .user_mapping import etag, etag_matches


def _projection() -> Projection:
    return parse_projection(context.registry(), RESOURCE_TYPE, request.args.get("attributes"),
                            request.args.get("excludedAttributes"))


def _full_members_wanted(projection: Projection) -> bool:
    """True when members appear whole (so they can be streamed rather than built)."""
    if not projection.wants(CORE_GROUP, "members"):
        return False
    return not any(p.attribute.name == "members" and p.sub is not None
                   for p in (*projection.attributes, *projection.excluded))


def _render(groups: list[Group], projection: Projection, *, listed: bool = False
            ) -> list[dict[str, Any]]:
    members = None
    if projection.wants(CORE_GROUP, "members"):
        # A list page renders members up to a budget; a group read by id is always whole.
        shown = member_budget.within_budget(groups) if listed else groups
        members = members_of(db.session(), [g.id for g in shown])
    registry = context.registry()
    return [apply_projection(registry, RESOURCE_TYPE,
                             to_resource(g, members.get(g.id) if members is not None else None),
                             projection) for g in groups]


def _group_response(group: Group, status: int = 200) -> Response:
    """A written group (POST, PUT, PATCH with attributes): its head as written, then its
    members as committed (read once the write's transaction has ended)."""
    projection = _projection()
    headers = _headers(group, status)
    if not _full_members_wanted(projection):
        return scim_response(_render([group], projection)[0], status, headers)
    head = apply_projection(context.registry(), RESOURCE_TYPE, to_resource(group, None),
                            projection)
    return _streamed(head, _snapshot(), group.id, status, headers)


def _headers(group: Group, status: int) -> dict[str, str]:
    headers = {"ETag": etag(group.version)}
    if status == 201:
        headers["Location"] = resource_url("Groups", group.id)
    return headers


def _snapshot() -> Session:
    """A read-only session whose reads all see one snapshot of the database.

    PostgreSQL: one REPEATABLE READ transaction. SQLite (WAL): one read transaction, whose
    snapshot is fixed by its first read. Never a writer: streaming 300,000 members must
    not hold SQLite's write lock.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session = db.new_session(app, writes=False, snapshot=True)
    if db.engine().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


class StreamAborted(ConnectionAbortedError):
    """Raised mid-body so the WSGI server drops the connection before the body ends.

    The status line (200) is already sent: only a body that visibly breaks can tell the
    client the resource was not sent whole. A `ConnectionError` makes the servers drop
    the connection without the last chunk (gunicorn closes on any error; werkzeug would
    otherwise try to answer with an error page).
    """


def _streamed(head: dict[str, Any], session: Session, group_id: str, status: int,
              headers: dict[str, str]) -> Response:
    """Write the resource, then its members batch by batch (bounded memory at 300k)."""
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    base = base_url()
    logger = current_app.logger

    def generate() -> Iterator[str]:
        try:
            yield opening + ', "members": '
            yield from stream_members_json(session, group_id, base)
            yield "}"
        except GeneratorExit:
            raise
        except Exception as exc:
            logger.error("aborting the streamed body of group %s", group_id, exc_info=exc)
            raise StreamAborted(f"streaming group {group_id} failed: {exc}") from exc
        finally:
            session.rollback()
            session.close()

    response = current_app.response_class(generate(), status=status,
                                          mimetype="application/scim+json")
    response.headers.update(headers)
    # A body never iterated (HEAD, a client gone before it) never runs `finally` above.
    response.call_on_close(session.close)
    return response


def _directory_tolerances() -> Tolerances:
    return tolerances_for(context.directory().idp)


def create_group_from_body(body: dict[str, Any]) -> Group:
    """Provision a group, with its members, from a POST body (RFC 7644 §3.3)."""
    tolerances = _directory_tolerances()
    parsed = load_body(RESOURCE_TYPE, body, tolerances)
    group = directory_groups.create_group(db.session(), context.directory(), group_data(parsed),
                                          context.actor())
    context.record_tolerances(tolerances)
    return group


def replace_group_from_body(group_id: str, body: BodySource, if_match: str | None
                            ) -> Group:
    """Replace a group from a PUT body (RFC 7644 §3.5.1); members only when sent."""
    session = db.session()
    directory = context.directory()
    group = directory_groups.get_group(session, directory.id, group_id, lock=True)
    expected = expected_version(group.version, if_match)
    tolerances = _directory_tolerances()
    parsed = load_body(RESOURCE_TYPE, body(), tolerances)
    group = directory_groups.replace_group(session, directory, group, group_data(parsed),
                                           context.actor(), expected_version=expected)
    context.record_tolerances(tolerances)
    return group


def patch_group_from_body(group_id: str, body: BodySource, if_match: str | None) -> Group:
    """Apply a PatchOp body to a group (RFC 7644 §3.5.2): member edits cost O(k) rows."""
    session = db.session()
    directory = context.directory()
    group = directory_groups.get_group(session, directory.id, group_id, lock=True)
    expected = expected_version(group.version, if_match)
    tolerances = _directory_tolerances()
    document = dict(group.attributes or {})
    document["displayName"] = group.display_name
    outcome = patch.apply_patch(context.registry(), RESOURCE_TYPE, document, body(), tolerances,
                                resource_id=group.id)
    parsed = load_resource(context.registry(), RESOURCE_TYPE,
                           {"schemas": [CORE_GROUP], **outcome.document},
                           lenient_booleans=tolerances.lenient_booleans)
    changes = outcome.member_changes
    edit = MemberEdit()
    if changes is not None:
        edit = MemberEdit(add=[m["value"] for m in changes.add if m.get("value")],
                          remove=list(changes.remove),
                          replace_all=None if changes.replace_all is None else
                          [m["value"] for m in changes.replace_all if m.get("value")])
    group = directory_groups.update_group(session, directory, group,
                                          group_data(parsed, members_given=False), edit,
                                          context.actor(), expected_version=expected,
                                          attributes_changed=outcome.document != document)
    context.record_tolerances(tolerances)
    return group


def delete_group_by_id(group_id: str, if_match: str | None) -> None:
    """Delete a group and its memberships (RFC 7644 §3.6)."""
    session = db.session()
    group = directory_groups.get_group(session, context.directory().id, group_id, lock=True)
    directory_groups.delete_group(session, context.directory(), group, context.actor(),
                                  expected_version=expected_version(group.version, if_match))


@bp.post("/Groups")
@context.transactional
def create_group() -> Response:
    group = create_group_from_body(context.json_body())
    context.end_writes(group)
    return _group_response(group, 201)


@bp.get("/Groups/<group_id>")
def get_group(group_id: str) -> Response:
    projection = _projection()
    if not _full_members_wanted(projection):
        group = directory_groups.get_group(db.session(), context.directory().id, group_id)
        if etag_matches(request.headers.get("If-None-Match"), group.version):
            return scim_response(None, 304, {"ETag": etag(group.version)})
        return scim_response(_render([group], projection)[0], 200, _headers(group, 200))
    # Head, ETag and streamed members come from one snapshot: a change committed while
    # the body is written cannot give members of one state under the version of another.
    session = _snapshot()
    try:
        group = directory_groups.get_group(session, context.directory().id, group_id)
        if etag_matches(request.headers.get("If-None-Match"), group.version):
            session.close()
            return scim_response(None, 304, {"ETag": etag(group.version)})
        head = apply_projection(context.registry(), RESOURCE_TYPE, to_resource(group, None),
                                projection)
    except BaseException:
        session.close()
        raise
    return _streamed(head, session, group.id, 200, _headers(group, 200))


@bp.put("/Groups/<group_id>")
@context.transactional
def replace_group(group_id: str) -> Response:
    group = replace_group_from_body(group_id, context.json_body,
                                    request.headers.get("If-Match"))
    context.end_writes(group)
    return _group_response(group)


@bp.patch("/Groups/<group_id>")
@context.transactional
def patch_group(group_id: str) -> Response:
    group = patch_group_from_body(group_id, context.json_body, request.headers.get("If-Match"))
    context.end_writes(group)
    if request.args.get("attributes") or request.args.get("excludedAttributes"):
        return _group_response(group)
    # RFC 7644 §3.5.2: 204 is allowed when no attributes were asked for; it spares
    # rendering a large group after a one-member change.
    return scim_response(None, 204, {"ETag": etag(group.version)})


@bp.delete("/Groups/<group_id>")
@context.transactional
def delete_group(group_id: str) -> Response:
    delete_group_by_id(group_id, request.headers.get("If-Match"))
    return scim_response(None, 204)


def _render_page(groups: list[Group], projection: Projection) -> list[dict[str, Any]]:
    return _render(groups, projection, listed=True)


GROUPS = resource_lists.ListSource(
    RESOURCE_TYPE, Group, compile_group_filter, group_sort_key, _render_page)


def query_groups(query: ListQuery, start_index: int, count: int
                 ) -> tuple[int, list[dict[str, Any]]]:
    """Total matches and one page by index (for the root `.search`)."""
    return resource_lists.index_page(GROUPS, query, start_index, count)


def list_query(params: Any) -> ListQuery:
    return resource_lists.list_query(RESOURCE_TYPE, params)


@bp.get("/Groups")
def list_groups_endpoint() -> Response:
    return resource_lists.list_resources(GROUPS, list_query(request.args))


@bp.post("/Groups/.search")
def search_groups() -> Response:
    return resource_lists.list_resources(GROUPS,
                                          list_query(search_params(context.json_body(),
                                                                   cursors=True)))
