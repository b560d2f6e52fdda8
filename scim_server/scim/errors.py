"""SCIM errors as a taxonomy: one class per `scimType` (RFC 7644 §3.12), status attached.

Every failure on `/scim/v2` leaves through `register_error_handlers`, so clients always
get the same body: `schemas`, `status` as a string, `scimType` where one applies, and a
`detail` a person can act on.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from .. import json_codec
from ..ops.faults import server_fault
from ..ops.input_gate import RejectedBody
from ..services import errors as domain
from ..services.db_errors import is_unique_violation

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_MEDIA_TYPE = "application/scim+json"


class ScimError(Exception):
    """Base SCIM error: subclasses fix `status` and `scim_type`."""

    status: int = 400
    scim_type: str | None = None

    def __init__(self, detail: str, *, status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


class InvalidFilter(ScimError):
    """The filter syntax was invalid or names an attribute that cannot be filtered."""

    scim_type = "invalidFilter"


class TooMany(ScimError):
    """The filter would return more results than the server is willing to."""

    scim_type = "tooMany"


class Uniqueness(ScimError):
    """A value the schema marks unique is already taken."""

    status = 409
    scim_type = "uniqueness"


class Mutability(ScimError):
    """The request tried to change an immutable or read-only attribute."""

    scim_type = "mutability"


class InvalidSyntax(ScimError):
    """The request body could not be parsed or violates the schema's structure."""

    scim_type = "invalidSyntax"


class InvalidPath(ScimError):
    """A PATCH path was malformed or names nothing."""

    scim_type = "invalidPath"


class NoTarget(ScimError):
    """A PATCH path with a value filter matched nothing where a match was needed."""

    scim_type = "noTarget"


class InvalidValue(ScimError):
    """A required value is missing or a value is not compatible with its type."""

    scim_type = "invalidValue"


class InvalidVersion(ScimError):
    """The protocol version asked for is not supported."""

    scim_type = "invalidVers"


class Sensitive(ScimError):
    """Sensitive information was sent in a URI."""

    scim_type = "sensitive"


class InvalidCursor(ScimError):
    """The cursor is malformed or unknown (RFC 9865 §6)."""

    scim_type = "invalidCursor"


class ExpiredCursor(ScimError):
    """The cursor has expired (RFC 9865 §6)."""

    scim_type = "expiredCursor"


class NotFound(ScimError):
    """The resource does not exist (or belongs to another tenant: same answer)."""

    status = 404


class Unauthorized(ScimError):
    """No valid bearer token for this directory."""

    status = 401


class PreconditionFailed(ScimError):
    """`If-Match` named a version that is no longer current (RFC 7644 §3.14)."""

    status = 412


class PayloadTooLarge(ScimError):
    """The body is over `maxPayloadSize` or a bulk is over `maxOperations` (RFC 7644 §3.7.4)."""

    status = 413
    scim_type = "tooLarge"


class NotImplementedByServer(ScimError):
    """The endpoint exists in the RFC but this server deliberately does not offer it."""

    status = 501


_DOMAIN_TO_SCIM: dict[type[domain.DomainError], type[ScimError]] = {
    domain.NotFound: NotFound,
    domain.Conflict: Uniqueness,
    domain.InvalidInput: InvalidValue,
    domain.VersionMismatch: PreconditionFailed,
}


def from_domain(error: domain.DomainError) -> ScimError:
    """Translate a domain error raised by a service into its SCIM form."""
    for domain_type, scim_type in _DOMAIN_TO_SCIM.items():
        if isinstance(error, domain_type):
            return scim_type(str(error))
    return ScimError(str(error))


def as_scim_error(error: Exception) -> ScimError | None:
    """The SCIM error a client-caused failure stands for (what the handlers below send),
    or None for anything else; used where one request carries many (Bulk, RFC 7644 §3.7)."""
    if isinstance(error, ScimError):
        return error
    if isinstance(error, domain.DomainError):
        return from_domain(error)
    if isinstance(error, ValidationError):
        return InvalidValue(_describe_validation(error.messages))
    if isinstance(error, RejectedBody):
        return InvalidSyntax(error.detail)
    if isinstance(error, IntegrityError) and is_unique_violation(error):
        return Uniqueness("a resource with the same unique value already exists")
    return None


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response with the SCIM media type (RFC 7644 §3.1)."""
    response = current_app.response_class(
        json_codec.dumps(body, current_app.json.default),  # type: ignore[attr-defined]
        status=status, mimetype=SCIM_MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: ScimError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if error.status == 401 else None
    return scim_response(error.to_body(), error.status, headers)


def register_error_handlers(blueprint: Blueprint) -> None:
    """The one error mapper of the SCIM blueprint: every failure leaves as a SCIM Error."""

    @blueprint.errorhandler(ScimError)
    def _scim(error: ScimError) -> Response:
        return error_response(error)

    @blueprint.errorhandler(domain.DomainError)
    def _domain(error: domain.DomainError) -> Response:
        return error_response(from_domain(error))

    @blueprint.errorhandler(ValidationError)
    def _validation(error: ValidationError) -> Response:
        return error_response(InvalidValue(_describe_validation(error.messages)))

    @blueprint.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> Response:
        if is_unique_violation(error):
            # A race between two writers on a unique value; the loser is told, nothing partial.
            return error_response(Uniqueness("a resource with the same unique value already "
                                             "exists"))
        return error_response(ScimError(server_fault(error, "SCIM"), status=500))

    @blueprint.errorhandler(OperationalError)
    def _operational(error: OperationalError) -> Response:
        current_app.logger.warning("database unavailable: %s", type(error.orig).__name__)
        return error_response(ScimError("the database is busy or unavailable; retry", status=503))

    @blueprint.errorhandler(RejectedBody)
    def _rejected(error: RejectedBody) -> Response:
        return error_response(InvalidSyntax(error.detail))

    @blueprint.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 413:
            return error_response(PayloadTooLarge("the request body is larger than allowed"))
        detail = error.description or error.name
        return error_response(ScimError(detail, status=status))

    @blueprint.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        return error_response(ScimError(server_fault(error, "SCIM"), status=500))


def _describe_validation(messages: Any, prefix: str = "") -> str:
    """Flatten marshmallow's nested messages into `field: problem; ...`."""
    if isinstance(messages, dict):
        parts = [
            _describe_validation(value, f"{prefix}{key}." if prefix or key != "_schema" else "")
            for key, value in messages.items()
        ]
        return "; ".join(part for part in parts if part)
    if isinstance(messages, list):
        text = ", ".join(str(m) for m in messages if not isinstance(m, (dict, list)))
        nested = [_describe_validation(m, prefix) for m in messages if isinstance(m, (dict, list))]
        head = f"{prefix.rstrip('.')}: {text}" if text and prefix else text
        return "; ".join(part for part in [head, *nested] if part)
    return f"{prefix.rstrip('.')}: {messages}" if prefix else str(messages)
