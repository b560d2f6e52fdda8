"""Record each SCIM request for the provisioning-health view, from one after-request hook.

The SCIM blueprint calls `record` once per response. A request whose token proved its
directory is counted in the `/metrics` counters and in this process's buffer
(services/health_buffer.py), which is written once a batch is due, after the response has
been sent. A refused one (status 400 or more) is also written at once as one failure row,
in its own transaction after the request's own has been rolled back, so the rollback
cannot take the record with it. What the row holds is built here from what the request
already knows (its URL rule, the resource type and operation that
`metrics.scim_operation_of` names, the error we answered), never from headers or the
query string; from the body only the `userName` or `displayName` is read.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..config import Config
from ..models import utcnow
from ..services import health_recording
from ..services.health_buffer import HealthBuffer
from ..services.health_recording import PUSH_OPERATIONS, FailureRecord
from . import metrics
from .redaction import redact

log = logging.getLogger(__name__)
EXTENSION_KEY = "scim_server.health_buffer"
SUBJECT_BODY_LIMIT = 64 * 1024
_RULE_PARAMETER = re.compile(r"<(?:[^:<>]+:)?[^<>]+>")
_SUBJECT_ATTRIBUTE = {"Users": "userName", "Groups": "displayName"}


def buffer(app: Flask) -> HealthBuffer:
    """This process's buffer for `app`, made on first use."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        config: Config = app.config["SCIM"]
        found = app.extensions.setdefault(EXTENSION_KEY, HealthBuffer(
            lambda: db.new_session(app), interval=config.health_flush_seconds,
            threshold=config.health_flush_count))
    return cast(HealthBuffer, found)


def flush_local(app: Flask) -> None:
    """Write this process's pending counts now (readers call it before reading)."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is not None:
        found.flush()


def record(response: Response) -> None:
    """Count the request and keep it when it failed; never fails the response."""
    try:
        _record(response)
    except Exception:  # noqa: BLE001 - bookkeeping must never change the answer
        log.exception("health: could not record the request")


def _record(response: Response) -> None:
    directory = g.get("scim_directory")
    rule = request.url_rule
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if directory is None or rule is None or not app.config["SCIM"].health_recording:
        return
    kind = metrics.scim_operation_of(rule.rule, request.method)
    if kind is None:
        return
    resource, operation = kind
    status = response.status_code
    outcome = metrics.result_of(status)
    now = utcnow()
    metrics.record_directory_request(directory.id, resource, operation, outcome)
    recorder = buffer(app)
    if status >= 400:
        _write_failures(app, [_failure(directory.id, rule.rule, resource, operation,
                                       response, now)])
        recorder.note_failure(directory.id)
    elif g.get("scim_bulk_failures"):
        _write_failures(app, [_bulk_failure(directory.id, outcome, now)
                              for outcome in g.scim_bulk_failures])
        recorder.note_failure(directory.id)
    if recorder.count(directory.id, resource, operation, outcome, now,
                      push=status < 400 and operation in PUSH_OPERATIONS):
        response.call_on_close(recorder.flush_quietly)  # after the response is sent
    if not app.config["SCIM"].testing:  # tests flush explicitly, never from a thread
        recorder.start_backstop()


def _write_failures(app: Flask, failures: list[FailureRecord]) -> None:
    session = g.get("db_session")
    if session is not None:
        # A failed request's transaction is void, a Bulk's is committed: end it (and any
        # SQLite lock it holds) now, so the failures' own transaction does not wait on it.
        session.rollback()
    writer = db.new_session(app)
    try:
        for failure in failures:
            health_recording.record_failure(writer, failure)
        writer.commit()
    except SQLAlchemyError as exc:
        writer.rollback()
        log.warning("health: could not record a failure (%s)", type(exc).__name__)
    finally:
        writer.close()


def path_shape(rule: str) -> str:
    """The URL rule below the directory, ids replaced: `/Users/{id}`."""
    tail = rule[len(metrics.SCIM_RULE_PREFIX) - 1:]
    return _RULE_PARAMETER.sub("{id}", tail)[:100]


def _failure(directory_id: str, rule: str, resource: str, operation: str,
             response: Response, now: datetime) -> FailureRecord:
    error = _error_body(response)
    detail = error.get("detail")
    scim_type = error.get("scimType")
    subject_id = next(iter((request.view_args or {}).values()), None) \
        if resource in _SUBJECT_ATTRIBUTE else None
    return FailureRecord(
        directory_id=directory_id, occurred_at=now, request_id=g.get("request_id"),
        method=request.method, path=path_shape(rule), resource=resource, operation=operation,
        status=response.status_code,
        scim_type=scim_type[:40] if isinstance(scim_type, str) else None,
        detail=redact(detail)[:1000] if isinstance(detail, str) else None,
        subject_id=str(subject_id)[:100] if subject_id else None,
        subject=_subject_from_body(resource))


_BULK_OPERATIONS = {"POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}


def _bulk_failure(directory_id: str, outcome: Any, now: datetime) -> FailureRecord:
    """One refused operation of a Bulk request (RFC 7644 §3.7.3), kept like a request of
    its own under the Bulk's request id; its path is shaped as `/Users/{id}`."""
    operation, error = outcome.operation, outcome.error
    parts = str(operation.path or "").strip("/").split("/")
    resource = parts[0][:32] if parts[0] in _SUBJECT_ATTRIBUTE else "Bulk"
    target = parts[1] if len(parts) > 1 and resource != "Bulk" else None
    data = operation.data if isinstance(operation.data, dict) else {}
    name = data.get(_SUBJECT_ATTRIBUTE.get(resource, ""))
    return FailureRecord(
        directory_id=directory_id, occurred_at=now, request_id=g.get("request_id"),
        method=str(operation.method or "POST")[:10],
        path=f"/{resource}" + ("/{id}" if target else "") if resource != "Bulk" else "/Bulk",
        resource=resource,
        operation=_BULK_OPERATIONS.get(str(operation.method), "bulk"),
        status=outcome.status, scim_type=error.scim_type,
        detail=redact(f"Bulk Operations[{operation.index}]: {error.detail}")[:1000],
        subject_id=target[:100] if target and not target.startswith("bulkId:") else None,
        subject=name.strip()[:400] if isinstance(name, str) and name.strip() else None)


def _error_body(response: Response) -> dict[str, Any]:
    if response.is_streamed or not (response.mimetype or "").endswith("json"):
        return {}
    try:
        body = json.loads(response.get_data())
    except (ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def _subject_from_body(resource: str) -> str | None:
    """The userName or displayName a POST or PUT named, and nothing else of the body."""
    attribute = _SUBJECT_ATTRIBUTE.get(resource)
    if attribute is None or request.method not in ("POST", "PUT"):
        return None
    length = request.content_length
    if length is None or length > SUBJECT_BODY_LIMIT:
        return None  # chunked or large: not worth reading for a name
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    value = next((v for k, v in body.items() if k.lower() == attribute.lower()), None)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:400]
