"""Per-request SCIM context: the authenticated directory, the actor, the request body."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar, cast

from flask import current_app, g, request
from sqlalchemy import inspect as sa_inspect

from .. import db
from ..config import Config
from ..ops import input_gate, metrics, rate_limit
from ..models import Directory, utcnow
from ..services import credential_stamp, secrets, tenancy, tolerance_log
from ..services.actors import Actor
from .errors import InvalidSyntax, NotFound, PayloadTooLarge, ScimError, Unauthorized
from .schema_registry import SchemaRegistry
from .token_cache import CachedToken, TokenCache

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
    digest = secrets.digest(secret.strip())
    cache = token_cache()
    with db.lookup_session() as session:
        cached, stamp = None, None
        shared = g.get("credential_stamp_hint")  # read from Redis with the rate limit, if any
        if cache.known(digest):
            if shared is not None:
                cached = cache.get(digest, shared_stamp=shared)
            else:
                stamp = credential_stamp.current(session)  # one primary-key read
                cached = cache.get(digest, stamp)
        if cached is None:
            rate_limit.refuse_unverified_credential()
            if stamp is None and cache.ttl > 0:  # read first: a later revoke then shows
                stamp = credential_stamp.current(session)
            token = tenancy.find_usable_token(session, secret.strip())
            if token is None:
                rate_limit.record_failed_authentication()
                kind = secrets.credential_kind(secret.strip())
                if kind not in (None, "a SCIM token"):
                    raise Unauthorized(f"this is {kind}, not a SCIM token: SCIM wants a token "
                                       "of this directory (admin keys work on /admin/v1)")
                raise Unauthorized("the bearer token is unknown, expired or revoked")
            found = session.get(Directory, token.directory_id)
            if found is None:
                raise NotFound(f"no directory {directory_id}")
            session.expunge(found)  # a read-only snapshot, shared by this worker's threads
            token_id, expires_at, last_used_at = token.id, token.expires_at, token.last_used_at
            # End the lookup's transaction (a read-only request's own session): SQLite's
            # snapshot must not outlive the token check.
            session.rollback()
            cache.put(digest, token_id, found, expires_at, last_used_at, stamp, shared)
            cached = cache.get(digest, stamp) or CachedToken(token_id, found, expires_at,
                                                             last_used_at, 0.0, stamp, shared)
    if cached.directory.id != directory_id:
        raise NotFound(f"no directory {directory_id}")
    _touch_last_used(digest, cached)
    g.scim_directory = cached.directory
    g.scim_actor = Actor("directory_token", cached.token_id, request_id=g.get("request_id"))


def _touch_last_used(digest: str, cached: CachedToken) -> None:
    """Note a use to record after the response, at a coarse resolution (see blueprint)."""
    resolution = config().token_last_used_resolution_seconds
    last = cached.last_used_at
    if last is None or (utcnow() - last).total_seconds() >= resolution:
        g.scim_token_used = cached.token_id
        token_cache().note_use(digest, utcnow())


def token_cache() -> TokenCache:
    """This worker's cache, made on first use with the configured lifetime."""
    cache = current_app.extensions.get("scim_server.token_cache")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "scim_server.token_cache", TokenCache(config().token_cache_seconds))
    return cast(TokenCache, cache)


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
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is None and len(raw) >= limit:
        # A chunked body is cut at the limit rather than refused: refuse it ourselves.
        raise PayloadTooLarge("the request body is larger than allowed")
    try:
        body = input_gate.loads(raw) if raw else None
    except input_gate.RejectedBody as exc:
        raise InvalidSyntax(exc.detail) from None
    except ValueError as exc:
        raise InvalidSyntax(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidSyntax("the body must be a JSON object")
    return body


def end_writes(*shown: Any) -> None:
    """The request's writes are done: commit them before the answer is rendered.

    `shown` are the objects the answer describes. Whatever of theirs the write left to be
    read back (a group's version moves in SQL) is read now, under the write's locks: read
    after the commit, it could already be a concurrent writer's version (RFC 7644 §3.14
    wants each answer's ETag to be the version that answer wrote).
    """
    session = db.session()
    for written in shown:
        expired = sa_inspect(written).expired_attributes
        if expired:
            session.refresh(written, attribute_names=sorted(expired))
    db.commit_then_read(session)


def transactional(view: F) -> F:
    """Commit the request's transaction when the view succeeds; errors roll it back.

    Views that render after writing call `end_writes` first, so no lock is held while
    the answer is built; the commit here then ends at most a reader's transaction.
    """

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
