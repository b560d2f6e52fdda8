"""`directories/{id}/health`, `/failures` and `/requests`: what a directory pushed and what
we refused, for the organization's admins (docs/health.md)."""
from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..ops import health_recorder
from ..services import directories_admin, provisioning_health as service
from ..models import ScimFailure
from . import auth
from .blueprint import endpoint
from .directories import DIRECTORY
from .health_serializers import (FailureSchema, FailuresQuerySchema, HealthQuerySchema,
                                 HealthSchema, PersonRequestsSchema, RequestsQuerySchema)
from .pagination import Page, SortKey, paginate

FAILURE_KEYS = (SortKey(ScimFailure.id, descending=True),)


def _flush_then_new_snapshot() -> None:
    """Write this worker's pending counts so the report includes its own requests.

    The request's transaction ends first: on SQLite it holds the snapshot taken at
    authentication (and perhaps the write lock, to note the admin key's use), which would
    make the counts' write wait and would not see it afterwards. The next read begins a
    new transaction that does.
    """
    session = db.session()
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()
    health_recorder.flush_local(current_app._get_current_object())  # type: ignore[attr-defined]


@endpoint(DIRECTORY + "/health", "GET", permission="directories:read", tag="directories",
          summary="Provisioning health: state, last push, counts, error rate, workarounds",
          query=HealthQuerySchema, response=HealthSchema)
def get_health(directory_id: str, query: dict[str, Any]) -> service.HealthReport:
    directory = directories_admin.get_directory(db.session(), auth.org_id(), directory_id)
    _flush_then_new_snapshot()
    return service.health(db.session(), directory, since=query.get("since"),
                          until=query.get("until"))


@endpoint(DIRECTORY + "/failures", "GET", permission="directories:read", tag="directories",
          summary="The SCIM requests of this directory we refused, newest first",
          query=FailuresQuerySchema, response=FailureSchema, paged=True)
def list_failures(directory_id: str, query: dict[str, Any]) -> Page:
    session = db.session()
    directory = directories_admin.get_directory(session, auth.org_id(), directory_id)
    stmt = service.failures_query(directory.id, status=query.get("status"),
                                  scim_type=query.get("scim_type"), since=query.get("since"),
                                  until=query.get("until"))
    return paginate(session, stmt, FAILURE_KEYS, limit=query.get("limit"),
                    cursor=query.get("cursor"))


@endpoint(DIRECTORY + "/requests", "GET", permission="directories:read", tag="directories",
          summary="Every recent recorded SCIM request about one person (userName or email)",
          query=RequestsQuerySchema, response=PersonRequestsSchema)
def list_requests_about(directory_id: str, query: dict[str, Any]) -> service.PersonRequests:
    session = db.session()
    directory = directories_admin.get_directory(session, auth.org_id(), directory_id)
    return service.requests_about(session, directory, query["user"],
                                  limit=query.get("limit") or 100)
