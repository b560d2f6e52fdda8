"""POST /Bulk (RFC 7644 §3.7): many operations on /Users and /Groups in one request.

Each operation runs in its own SAVEPOINT, so one that fails leaves nothing behind while
the others stand; the request commits once at the end. Consecutive user creations (a
first sync) are written together, with the outcome they would have had one by one
(bulk_creates.py). Operations run in request order,
except that one waiting for a `bulkId` runs as soon as the POST it refers to has
(forward references, §3.7.2). A reference to a bulkId no POST declares fails with
`invalidValue`; one to a POST that failed, or references that wait on each other in a
circle, fail with 409 (§3.7.1 allows stopping there: the nested-group cycles such a
circle would create are refused anyway). `failOnErrors` stops processing after that
many errors; `maxOperations` and `maxPayloadSize` are advertised in
ServiceProviderConfig and enforced with 413 (§3.7.4), the size before any JSON is read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Response, g, request

from .. import db
from ..ops import input_gate
from . import bulk_creates, context, groups, users
from .blueprint import bp
from .bulk_refs import (BULK_RESPONSE, BulkOperation, TooManyOperations, parse_bulk_request,
                        parse_target, substitute)
from .errors import InvalidValue, PayloadTooLarge, ScimError, as_scim_error, scim_response
from .password_hashes import prehash
from .tolerances import tolerances_for
from .urls import resource_url
from .user_mapping import etag

#: What each endpoint does for each method: (create, replace, patch, delete).
_WRITERS: dict[str, tuple[Callable[..., Any], ...]] = {
    "Users": (users.create_user_from_body, users.replace_user_from_body,
              users.patch_user_from_body, users.delete_user_by_id),
    "Groups": (groups.create_group_from_body, groups.replace_group_from_body,
               groups.patch_group_from_body, groups.delete_group_by_id),
}


@dataclass
class _Outcome:
    """What one operation did, as the BulkResponse reports it (RFC 7644 §3.7.3)."""

    operation: BulkOperation
    status: int
    location: str | None = None
    version: str | None = None
    error: ScimError | None = None
    created_id: str | None = None

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"method": self.operation.method}
        if self.operation.method is None:
            del body["method"]
        if self.operation.bulk_id is not None:
            body["bulkId"] = self.operation.bulk_id
        if self.location:
            body["location"] = self.location
        if self.version:
            body["version"] = self.version
        body["status"] = str(self.status)
        if self.error is not None:
            body["response"] = self.error.to_body()
        return body


@bp.post("/Bulk")
@context.transactional
def bulk() -> Response:
    cfg = context.config()
    limit = cfg.bulk_max_payload_bytes
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    # A chunked body has no Content-Length: read one byte past the limit (werkzeug stops
    # quietly at a read limit) so that a body over it is seen, and refused, whole.
    request.max_content_length = limit + 1
    if len(request.get_data(cache=True)) > limit:
        raise _too_large(limit)
    tolerances = tolerances_for(context.directory().idp)
    try:
        parsed = parse_bulk_request(context.json_body(), cfg.bulk_max_operations, tolerances)
    except TooManyOperations as exc:
        raise PayloadTooLarge(f"the bulk request has {exc.count} operations; maxOperations is "
                              f"{cfg.bulk_max_operations} (RFC 7644 §3.7.4)") from None
    # Every password of every operation is hashed now, before any write takes a lock.
    prehash([op.data for op in parsed.operations])
    context.record_tolerances(tolerances)
    outcomes = _Runner(parsed.fail_on_errors).run(parsed.operations)
    g.scim_bulk_failures = [o for o in outcomes if o.error is not None]  # provisioning health
    return scim_response({"schemas": [BULK_RESPONSE],
                          "Operations": [outcome.to_body() for outcome in outcomes]})


input_gate.own_size_limit("scim.bulk", lambda config: config.bulk_max_payload_bytes)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the bulk request is larger than maxPayloadSize ({limit} bytes); "
                           "split it (RFC 7644 §3.7.4)")


class _Runner:
    """Runs operations as their references allow and keeps the error budget."""

    def __init__(self, fail_on_errors: int | None):
        self.fail_on_errors = fail_on_errors
        self.errors = 0
        self.resolved: dict[str, str] = {}
        self.failed: dict[str, int] = {}
        self.outcomes: list[_Outcome] = []

    def run(self, operations: list[BulkOperation]) -> list[_Outcome]:
        declared = {op.bulk_id for op in operations if op.method == "POST" and op.bulk_id}
        pending = list(operations)
        while pending and not self._budget_spent():
            ready = next((op for op in pending if self._decided(op, declared)), None)
            if ready is None:
                break
            if bulk_creates.can_join(ready):
                done = bulk_creates.create(bulk_creates.collect(ready, pending))
                for op, user in done:
                    pending.remove(op)
                    self._record(_Outcome(op, 201, resource_url("Users", user.id),
                                          etag(user.version), created_id=user.id))
                if done:
                    continue
            pending.remove(ready)
            self._record(self._execute(ready, declared))
        if not self._budget_spent():
            for op in pending:  # every one left waits on a circle of references
                waiting = sorted(op.references - self.resolved.keys())
                self._record(self._failure(op, ScimError(
                    f"the bulkId references {', '.join('bulkId:' + w for w in waiting)} form "
                    "a circle (or wait on one) and cannot be resolved (RFC 7644 §3.7.1)",
                    status=409)))
                if self._budget_spent():
                    break
        return self.outcomes

    def _decided(self, op: BulkOperation, declared: set[str]) -> bool:
        """Whether `op` can run now, or is bound to fail whatever runs before it."""
        waiting = op.references - self.resolved.keys()
        return (op.error is not None or not waiting or bool(waiting - declared)
                or bool(waiting & self.failed.keys()))

    def _budget_spent(self) -> bool:
        return self.fail_on_errors is not None and self.errors >= self.fail_on_errors

    def _record(self, outcome: _Outcome) -> None:
        self.outcomes.append(outcome)
        bulk_id = outcome.operation.bulk_id
        if outcome.error is not None:
            self.errors += 1
            if bulk_id is not None and outcome.operation.method == "POST":
                self.failed[bulk_id] = outcome.operation.index
        elif outcome.created_id is not None and bulk_id is not None:
            self.resolved[bulk_id] = outcome.created_id

    def _execute(self, op: BulkOperation, declared: set[str]) -> _Outcome:
        if op.error is not None:
            return self._failure(op, op.error)
        unknown = sorted(op.references - declared)
        if unknown:
            return self._failure(op, InvalidValue(
                f"bulkId:{unknown[0]} is not the bulkId of any POST in this request"))
        lost = sorted(op.references & self.failed.keys())
        if lost:
            return self._failure(op, ScimError(
                f"bulkId:{lost[0]} cannot be resolved: its operation (Operations"
                f"[{self.failed[lost[0]]}]) failed", status=409))
        assert op.method is not None and op.path is not None
        endpoint, resource_id = parse_target(op.method, op.path, self.resolved)
        location = resource_url(endpoint, resource_id) if resource_id else None
        session = db.session()
        try:
            with session.begin_nested():
                return self._write(op, endpoint, resource_id, location)
        except Exception as exc:  # noqa: BLE001 - only client-caused errors are kept
            error = as_scim_error(exc)
            if error is None:
                raise
            return self._failure(op, error, location)

    def _write(self, op: BulkOperation, endpoint: str, resource_id: str | None,
               location: str | None) -> _Outcome:
        create, replace, patch, delete = _WRITERS[endpoint]
        data = substitute(op.data, self.resolved)
        if op.method == "POST":
            created = create(data)
            return _Outcome(op, 201, resource_url(endpoint, created.id), etag(created.version),
                            created_id=created.id)
        if op.method == "DELETE":
            delete(resource_id, op.version)
            return _Outcome(op, 204, location)
        writer = replace if op.method == "PUT" else patch
        written = writer(resource_id, lambda: data, op.version)
        return _Outcome(op, 200, location, etag(written.version))

    def _failure(self, op: BulkOperation, error: ScimError,
                 location: str | None = None) -> _Outcome:
        return _Outcome(op, error.status, location, error=error)
