"""Per-request SCIM context: the authenticated directory, the actor, the request body."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar, cast

from flask import current_app, g, request

from .. import db
from ..config import Config
from ..ops import metrics
from ..models import Directory, ScimToken, utcnow
from ..services import tenancy, tolerance_log
from ..services.actors import Actor
from .errors import InvalidSyntax, NotFound, ScimError, Unauthorized
from .schema_registry import SchemaRegistry

F = TypeVar("F", bound=Callable[..., Any])
ACCEPTED_MEDIA_TYPES = ("application/scim+json", "application/json")


def registry() -> SchemaRegistry:
    return cast(SchemaRegistry, current_app.extensions["scim_server.schemas"])


def config() -> Config:
    return cast(Config, current_app.config["SCIM"])


def directory() -> Directory:
    return cast(Directory, g.scim_directory)


def actor() -> Actor:
    return cast(Actor, g.scim_actor)


def authenticate(directory_id: str) -> None:
    """Check the bearer token and bind the directory (RFC 7644 §2).

    A token of another directory gets the same 404 as a directory that does not exist, so
    nothing tells one tenant that another's ids are real.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    session = db.session()
    token = tenancy.find_usable_token(session, secret.strip())
    if token is None:
        raise Unauthorized("the bearer token is unknown, expired or revoked")
    if token.directory_id != directory_id:
        raise NotFound(f"no directory {directory_id}")
    found = session.get(Directory, directory_id)
    if found is None:
        raise NotFound(f"no directory {directory_id}")
    _touch_last_used(token)
    g.scim_directory = found
    g.scim_token = token
    g.scim_actor = Actor("directory_token", token.id, request_id=g.get("request_id"))


def _touch_last_used(token: ScimToken) -> None:
    """Note a use to record after the response, at a coarse resolution (see blueprint)."""
    resolution = config().token_last_used_resolution_seconds
    if token.last_used_at is None or (utcnow() - token.last_used_at).total_seconds() >= resolution:
        g.scim_token_used = token.id


def json_body() -> dict[str, Any]:
    """The request body as a JSON object, or a SCIM error that says what is wrong with it."""
    mimetype = (request.mimetype or "").lower()
    if mimetype not in ACCEPTED_MEDIA_TYPES:
        raise ScimError(
            f"unsupported media type {mimetype or '(none)'}; send application/scim+json "
            "or application/json",
            status=415,
        )
    raw = request.get_data(cache=True)
    try:
        body = current_app.json.loads(raw) if raw else None
    except ValueError as exc:
        raise InvalidSyntax(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidSyntax("the body must be a JSON object")
    return body


def transactional(view: F) -> F:
    """Commit the request's transaction when the view succeeds; errors roll it back."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        response = view(*args, **kwargs)
        db.session().commit()
        return response

    return cast(F, wrapper)


def record_tolerances(tolerances: Any) -> None:
    """Count the workarounds a request needed, in its own transaction's scope."""
    fired = list(getattr(tolerances, "fired", ()) or ())
    if fired:
        tolerance_log.record_fired(db.session(), directory().id, fired, g.get("request_id"))
        for name in fired:
            metrics.record_tolerance(directory().id, name)
