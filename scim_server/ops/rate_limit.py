"""Per-credential rate limits: a token bucket per SCIM token and per admin key, and one per
client address (and per SCIM directory) that only failed authentications drain.

Each credential gets a bucket of `burst` requests that refills at `per_second`. The SCIM
defaults (100/s, burst 1,000) let a whole conformance run (scim2-tester: about 800
requests as fast as the server answers) pass untouched, sit at four times what Microsoft
Entra ID's guideline sends per provisioning job (25/s), and still hold a runaway client
to 100 requests a second; docs/operations.md#rate-limits gives the measurements. An
admin may set a directory's own limit (`PATCH directories/{id}` `rate_limit`), which
every token of that directory then gets (read through a cache of
`SCIM_TOKEN_CACHE_SECONDS`). With `SCIM_REDIS_URL` the buckets live in Redis and are
shared by every worker on every host (one atomic script per request, Redis' own clock);
without it, or while Redis does not answer, each process keeps its own buckets.

A throttled request gets 429 with `Retry-After` (RFC 6585 §4) before its credential is
even looked up, with a SCIM Error on `/scim/` and a problem document on `/admin/`.
"""
from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, Response, current_app, g, has_app_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests

from ..config import Config
from ..services import credential_stamp
from . import metrics
from .responses import error_for_path, is_admin_path, is_scim_path

log = logging.getLogger(__name__)
EXTENSION_KEY = "scim_server.rate_limiter"
DIRECTORY_LIMITS_KEY = "scim_server.directory_rate_limits"
REDIS_KEY_PREFIX = "scim-server:rate:"

# KEYS[1] bucket; ARGV rate, burst, cost (0 looks without spending).
# Returns {allowed, seconds to wait as a string}.
_TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3]) or 1
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - cost
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
local stamp = '0'
if KEYS[2] then
  stamp = redis.call('GET', KEYS[2]) or '0'
end
return {allowed, tostring(wait), stamp}
"""
#: The revocation stamp's Redis mirror (services/credential_stamp.py): moved after every
#: commit that revokes a credential, read in the same script call as the rate limit.
STAMP_KEY = "scim-server:credential-stamp"


@dataclass(frozen=True)
class Limit:
    """A bucket of `burst` requests refilled at `per_second`."""

    per_second: float
    burst: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0
    stamp: int | None = None  # the Redis revocation stamp, when asked for and Redis answered


class LocalBuckets:
    """Token buckets in this process; `clock` is injectable so tests need not sleep."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        """Spend `cost` requests (0: only look) if the bucket holds at least one."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + max(0.0, now - at) * limit.per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - cost, now)
                self._prune(now, limit)
                return Decision(True)
            self._buckets[key] = (tokens, now)
            return Decision(False, (1 - tokens) / limit.per_second)

    def _prune(self, now: float, limit: Limit) -> None:
        """Forget buckets that have refilled completely: they equal a fresh one."""
        if len(self._buckets) <= self._max_keys:
            return
        full_after = limit.burst / limit.per_second
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}


class RedisBuckets:
    """Buckets shared through Redis; falls back to `fallback` while Redis fails."""

    def __init__(self, url: str, fallback: LocalBuckets):
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(url, socket_timeout=0.25,
                                            socket_connect_timeout=0.25)
        self._script = self._client.register_script(_TOKEN_BUCKET_LUA)
        self._fallback = fallback
        self._last_warning = 0.0

    def take(self, key: str, limit: Limit, cost: int = 1, *, stamp: bool = False) -> Decision:
        keys = [REDIS_KEY_PREFIX + key] + ([STAMP_KEY] if stamp else [])
        try:
            allowed, wait, shared = self._script(keys=keys,
                                                 args=[limit.per_second, limit.burst, cost])
        except self._errors as exc:
            if time.monotonic() - self._last_warning > 30:
                self._last_warning = time.monotonic()
                log.warning("rate limits: Redis unavailable (%s); using per-process buckets",
                            type(exc).__name__)
            return self._fallback.take(key, limit, cost)
        return Decision(bool(int(allowed)), float(wait), int(shared) if stamp else None)

    def publish_revocation(self) -> bool:
        """Move the shared revocation stamp; False when Redis did not answer.

        A fresh random value, not a counter: a Redis that lost its data and counted up
        again could otherwise land on a value some worker verified a token under.
        """
        try:
            self._client.set(STAMP_KEY, secrets.randbelow(2 ** 62) + 1)
        except self._errors:
            log.warning("revocation: Redis unavailable; other workers see it via the database")
            return False
        return True


class RateLimited(TooManyRequests):
    """Raised before authentication when a credential's bucket is empty."""

    def __init__(self, retry_after: float):
        super().__init__("too many requests with this credential; retry after the delay "
                         "given in Retry-After")
        self.retry_after_seconds = max(1, math.ceil(retry_after))


def credential_fingerprint(secret: str) -> str:
    """A bucket name for a secret: a hash distinct from the stored token hash."""
    return hashlib.sha256(b"scim-server rate limit\0" + secret.encode("utf-8")).hexdigest()[:32]


#: Unauthenticated endpoints that send email or change state: limited per client address.
PUBLIC_PATHS = frozenset({"/signup", "/invitations/accept", "/request-access", "/console/login"})


def limit_for(config: Config, kind: str) -> Limit:
    if kind == "public":
        return Limit(config.rate_limit_public_per_second, config.rate_limit_public_burst)
    if kind == "scim":
        return Limit(config.rate_limit_scim_per_second, config.rate_limit_scim_burst)
    if kind == "auth_failures":
        return Limit(config.rate_limit_auth_failures_per_second,
                     config.rate_limit_auth_failures_burst)
    return Limit(config.rate_limit_admin_per_second, config.rate_limit_admin_burst)


def _bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


class DirectoryLimits:
    """Directories' own SCIM limits (admin API `rate_limit`), cached for `ttl` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000):
        self._ttl, self._clock, self._max_keys = ttl, clock, max_keys
        self._cache: dict[str, tuple[Limit | None, float]] = {}
        self._lock = threading.Lock()

    def get(self, directory_id: str, default: Limit) -> Limit:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(directory_id)
        if cached is not None and cached[1] > now:
            return cached[0] or default
        limit = _stored_directory_limit(directory_id)
        with self._lock:
            if len(self._cache) >= self._max_keys:
                self._cache.clear()
            self._cache[directory_id] = (limit, now + self._ttl)
        return limit or default


def _plausible_id(value: Any) -> bool:
    """Only a value shaped like an id is looked up; anything else is answered later (404)."""
    return isinstance(value, str) and 0 < len(value) <= 36 and value.replace("-", "").isalnum() \
        and value.isascii()


def _stored_directory_limit(directory_id: str) -> Limit | None:
    from .. import db
    from ..models import Directory

    settings = db.session().scalar(select(Directory.settings).where(
        Directory.id == directory_id))
    stored = (settings or {}).get("rate_limit") if isinstance(settings, dict) else None
    if not isinstance(stored, dict):
        return None
    return Limit(float(stored["per_second"]), int(stored["burst"]))


def throttle(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Spend one request from the caller's bucket, or refuse with 429."""
    config: Config = current_app.config["SCIM"]
    if not config.rate_limit_enabled:
        return
    kind = "scim" if is_scim_path() else "admin" if is_admin_path() else None
    if kind is None and request.method == "POST" and request.path in PUBLIC_PATHS:
        kind, bucket = "public", f"public:{request.remote_addr or 'unknown'}"
    else:
        secret = _bearer_secret() if kind else None
        if kind is None or secret is None:
            return
        bucket = f"{kind}:{credential_fingerprint(secret)}"
    buckets: LocalBuckets | RedisBuckets = current_app.extensions[EXTENSION_KEY]
    limit = limit_for(config, kind)
    if kind == "scim" and values and _plausible_id(values.get("directory_id")):
        limit = current_app.extensions[DIRECTORY_LIMITS_KEY].get(values["directory_id"], limit)
    if isinstance(buckets, RedisBuckets):
        decision = buckets.take(bucket, limit, stamp=kind == "scim")
        g.credential_stamp_hint = decision.stamp
    else:
        decision = buckets.take(bucket, limit)
    if not decision.allowed:
        metrics.record_rate_limited(kind)
        raise RateLimited(decision.retry_after)
    if kind in ("scim", "admin"):
        g.auth_failure_buckets = (kind, _failure_buckets(kind, values or {}))


def _failure_buckets(kind: str, values: dict[str, Any]) -> list[str]:
    """Failed authentications count per client address, and per directory on SCIM."""
    names = [f"authfail:addr:{request.remote_addr or 'unknown'}"]
    if kind == "scim" and values.get("directory_id"):
        names.append(f"authfail:dir:{str(values['directory_id'])[:64]}")
    return names


def refuse_unverified_credential() -> None:
    """429 before a credential lookup while this caller's failures are over the limit.

    Every guessed credential has a bucket of its own, so the per-credential limit cannot
    stop a guesser who never repeats a guess; these buckets can, because only failures
    drain them. Authentication calls this just before it would touch the database, so a
    credential the worker already knows is good (a cached SCIM token) never waits here,
    and the buckets are only looked at (not spent) until a lookup fails.
    """
    noted = g.get("auth_failure_buckets")
    if noted is None:
        return
    config: Config = current_app.config["SCIM"]
    buckets: LocalBuckets | RedisBuckets = current_app.extensions[EXTENSION_KEY]
    limit = limit_for(config, "auth_failures")
    waits = [d.retry_after for d in (buckets.take(name, limit, cost=0) for name in noted[1])
             if not d.allowed]
    if waits:
        metrics.record_rate_limited(noted[0])
        raise RateLimited(max(waits))


def record_failed_authentication() -> None:
    """Spend one from the caller's failure buckets: a credential was unknown or revoked."""
    noted = g.get("auth_failure_buckets")
    if noted is None:
        return
    config: Config = current_app.config["SCIM"]
    buckets: LocalBuckets | RedisBuckets = current_app.extensions[EXTENSION_KEY]
    limit = limit_for(config, "auth_failures")
    for name in noted[1]:
        buckets.take(name, limit)


def _rate_limited_response(error: RateLimited) -> Response:
    return error_for_path(429, error.description or "too many requests",
                          {"Retry-After": str(error.retry_after_seconds)}, slug="rate-limited")


def _publish_after_commit(session: Session) -> None:
    """After a commit that moved the revocation stamp, bump its Redis mirror too."""
    if not session.info.pop(credential_stamp.MOVED, False) or not has_app_context():
        return
    buckets = current_app.extensions.get(EXTENSION_KEY)
    if isinstance(buckets, RedisBuckets):
        buckets.publish_revocation()


def init_app(app: Flask, config: Config) -> None:
    """Choose the bucket store and install the check ahead of every authentication."""
    local = LocalBuckets()
    app.extensions[EXTENSION_KEY] = RedisBuckets(config.redis_url, local) \
        if config.redis_url else local
    app.extensions[DIRECTORY_LIMITS_KEY] = DirectoryLimits(config.token_cache_seconds)
    app.url_value_preprocessor(throttle)
    app.register_error_handler(RateLimited, _rate_limited_response)
    if not event.contains(Session, "after_commit", _publish_after_commit):
        event.listen(Session, "after_commit", _publish_after_commit)
