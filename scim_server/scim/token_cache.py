"""A per-process memory of authenticated SCIM tokens, trusted while the revocation stamp
stands.

Identity providers send bursts of requests with one token; looking the token and its
directory up for every one of them costs two database round trips of the few a read
needs. Each entry carries the revocation stamp (services/credential_stamp.py) read when
it was verified; an entry whose stamp is no longer current is dropped, so a revoked token
fails on the very next request on every worker. With Redis, the stamp's mirror comes back
with the rate-limit call a request makes anyway, so a remembered token costs no query. Entries also live at most
`token_cache_seconds` (0 turns the cache off) and never past the token's expiry.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ..models import Directory, utcnow

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class CachedToken:
    """What authentication needs of a token, detached from any session."""

    token_id: str
    directory: Directory
    expires_at: datetime | None
    last_used_at: datetime | None
    cached_at: float
    stamp: int | None = None
    shared_stamp: int | None = None  # the Redis mirror of the stamp, when it was read


class TokenCache:
    """Token digest → `CachedToken`, each entry trusted for `ttl` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, CachedToken] = {}
        self._lock = threading.Lock()

    def known(self, digest: str) -> bool:
        """Whether this worker verified the digest lately (the stamp is not checked here)."""
        return self.ttl > 0 and digest in self._entries

    def get(self, digest: str, stamp: int | None = None,
            shared_stamp: int | None = None) -> CachedToken | None:
        """The entry, unless it is stale, expired or verified under another `stamp` (or,
        when given, another `shared_stamp` read from Redis)."""
        if self.ttl <= 0:
            return None
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if self.clock() - entry.cached_at >= self.ttl or (
                    entry.expires_at is not None and entry.expires_at <= utcnow()) or (
                    stamp is not None and entry.stamp != stamp) or (
                    shared_stamp is not None and entry.shared_stamp != shared_stamp):
                del self._entries[digest]
                return None
            return entry

    def put(self, digest: str, token_id: str, directory: Directory,
            expires_at: datetime | None, last_used_at: datetime | None,
            stamp: int | None = None, shared_stamp: int | None = None) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()  # bounded memory; a refill costs one lookup each
            self._entries[digest] = CachedToken(token_id, directory, expires_at,
                                                last_used_at, self.clock(), stamp,
                                                shared_stamp)

    def note_use(self, digest: str, at: datetime) -> None:
        """Remember that the last-used time was just recorded, so it is not rewritten."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries[digest] = CachedToken(entry.token_id, entry.directory,
                                                    entry.expires_at, at, entry.cached_at,
                                                    entry.stamp, entry.shared_stamp)
