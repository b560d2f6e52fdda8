"""A short-lived, per-process memory of authenticated SCIM tokens.

Identity providers send bursts of requests with one token; looking the token and its
directory up for every one of them costs two database round trips of the few a read
needs. Entries live `token_cache_seconds` (default 5 s; 0 turns the cache off), so a
revoked or expired token stops working within that bound on every worker.
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


class TokenCache:
    """Token digest → `CachedToken`, each entry trusted for `ttl` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, CachedToken] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> CachedToken | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if self.clock() - entry.cached_at >= self.ttl or (
                    entry.expires_at is not None and entry.expires_at <= utcnow()):
                del self._entries[digest]
                return None
            return entry

    def put(self, digest: str, token_id: str, directory: Directory,
            expires_at: datetime | None, last_used_at: datetime | None) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()  # bounded memory; a refill costs one lookup each
            self._entries[digest] = CachedToken(token_id, directory, expires_at,
                                                last_used_at, self.clock())

    def note_use(self, digest: str, at: datetime) -> None:
        """Remember that the last-used time was just recorded, so it is not rewritten."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries[digest] = CachedToken(entry.token_id, entry.directory,
                                                    entry.expires_at, at, entry.cached_at)
