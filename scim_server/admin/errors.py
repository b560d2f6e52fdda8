"""The one error mapper of the admin API: every failure leaves as an RFC 9457 problem.

A problem document is `application/problem+json` with `type`, `title`, `status`,
`detail` and, for invalid input, `errors` (field name → messages, as marshmallow
reports them). `type` is a stable relative URI scripts can match on (RFC 9457 §3.1.1);
plain HTTP failures use `about:blank` with the status phrase as title (§4.2.1).
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, current_app, json
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..ops.faults import server_fault
from ..ops.input_gate import RejectedBody
from ..services import errors as domain
from ..services.db_errors import is_unique_violation
from ..services.licences import SeatLimitExceeded
from ..services.org_accounts import ManagedByDirectory

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/admin/v1/problems/"


class Problem(Exception):
    """An error with its problem document; `slug` None means `about:blank`."""

    def __init__(self, status: int, detail: str, *, slug: str | None = None,
                 title: str | None = None, errors: Any = None,
                 headers: dict[str, str] | None = None, **extensions: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title or HTTPStatus(status).phrase
        self.errors = errors
        self.headers = headers or {}
        self.extensions = extensions

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug if self.slug else "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


def problem_response(problem: Problem) -> Response:
    response = current_app.response_class(
        json.dumps(problem.to_body(), ensure_ascii=False), status=problem.status,
        mimetype=PROBLEM_MEDIA_TYPE)
    response.headers.update(problem.headers)
    return response


STATUS_OF: list[tuple[type[domain.DomainError], int, str]] = [
    (domain.NotFound, 404, "not-found"),
    (domain.Conflict, 409, "conflict"),
    (domain.InvalidInput, 422, "invalid-input"),
    (domain.VersionMismatch, 412, "precondition-failed"),
    (domain.Forbidden, 403, "forbidden"),
    (domain.LimitExceeded, 409, "limit-exceeded"),
]


def from_domain(error: domain.DomainError) -> Problem:
    """Translate a service's domain error into its problem document."""
    detail = str(error)
    if isinstance(error, SeatLimitExceeded):
        return Problem(409, detail, slug="seat-limit-exceeded", title="Seat limit exceeded",
                       product_id=error.product_id, seat_limit=error.seat_limit,
                       used=error.used, requested=error.requested)
    if isinstance(error, ManagedByDirectory):
        return Problem(409, detail, slug="managed-by-directory", title="Managed by a directory",
                       directory_id=error.directory_id)
    for kind, status, slug in STATUS_OF:
        if isinstance(error, kind):
            if isinstance(error, domain.Refusal):  # the rule's own slug, title and facts
                return Problem(status, detail, slug=error.reason, title=error.title,
                               **error.facts)
            return Problem(status, detail, slug=slug)
    return Problem(400, detail, slug="bad-request")


def from_http(error: HTTPException) -> Problem:
    """A werkzeug error (unknown URL, wrong method, oversize body) as a problem."""
    status = error.code or 500
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 413:
        return Problem(413, "the request body is larger than the server accepts",
                       slug="payload-too-large", headers=headers)
    return Problem(status, error.description or HTTPStatus(status).phrase, headers=headers)


def from_rejected_body(error: RejectedBody) -> Problem:
    """A body the input gate refused (too deep, a number out of range) as a problem."""
    return Problem(400, error.detail, slug="malformed-body")


def fallback_response(error: HTTPException) -> Response:
    """For app-level errors on `/admin/` paths no route claimed (404, 405)."""
    return problem_response(from_http(error))


def register_error_handlers(blueprint: Blueprint | Flask) -> None:
    """Route every failure of the blueprint through one problem-document shape."""

    @blueprint.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        return problem_response(error)

    @blueprint.errorhandler(domain.DomainError)
    def _domain(error: domain.DomainError) -> Response:
        return problem_response(from_domain(error))

    @blueprint.errorhandler(ValidationError)
    def _validation(error: ValidationError) -> Response:
        return problem_response(Problem(422, "the request has invalid fields; see errors",
                                        slug="validation-failed", title="Invalid request",
                                        errors=error.messages))

    @blueprint.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> Response:
        if not is_unique_violation(error):
            return problem_response(Problem(500, server_fault(error, "admin")))
        return problem_response(Problem(409, "a concurrent change already created or removed "
                                        "this; read it again and retry", slug="conflict"))

    @blueprint.errorhandler(OperationalError)
    def _operational(error: OperationalError) -> Response:
        current_app.logger.warning("admin: database unavailable: %s", type(error.orig).__name__)
        return problem_response(Problem(503, "the database is busy or unavailable; retry",
                                        headers={"Retry-After": "1"}))

    @blueprint.errorhandler(RejectedBody)
    def _rejected(error: RejectedBody) -> Response:
        return problem_response(from_rejected_body(error))

    @blueprint.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return problem_response(from_http(error))

    @blueprint.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        return problem_response(Problem(500, server_fault(error, "admin")))
