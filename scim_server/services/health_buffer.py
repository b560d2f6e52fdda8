"""This process's provisioning counts, held in memory and written in batches.

Counting a request is a dictionary increment under a lock; a daemon thread writes the
batch every `interval` seconds, or at once when `threshold` requests are waiting, so the
SCIM path never waits on the database for its own bookkeeping. Two cases wake the
thread early: a full batch, and a successful push to a directory this process just saw
fail (so the health state turns back to "healthy" promptly). A batch that cannot be
written because the database is unavailable is kept for the next attempt; one whose
directory no longer exists is dropped.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Callable

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from . import health_recording
from .health_recording import CountKey, Push, hour_of

log = logging.getLogger(__name__)
PRUNE_INTERVAL_SECONDS = 3600.0


class HealthBuffer:
    """Counts and last pushes not yet written, per directory, and the thread that writes them."""

    def __init__(self, sessions: Callable[[], Session], *, interval: float, threshold: int,
                 clock: Callable[[], float] | None = None):
        self._sessions = sessions
        self.interval = interval
        self.threshold = max(1, threshold)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._counts: Counter[CountKey] = Counter()
        self._pushes: dict[str, Push] = {}
        self._failed: set[str] = set()
        self._pending = 0
        self._wake = threading.Event()
        self._owner_pid: int | None = None
        self._monotonic = clock or time.monotonic
        self._pruned_at: float | None = None

    def count(self, directory_id: str, resource: str, operation: str, outcome: str,
              at: datetime, *, push: bool) -> None:
        """Count one request; `push` marks a successful change (docs/health.md)."""
        key = CountKey(directory_id, hour_of(at), resource, operation, outcome)
        with self._lock:
            self._counts[key] += 1
            self._pending += 1
            if push:
                known = self._pushes.get(directory_id)
                if known is None or at >= known.at:
                    self._pushes[directory_id] = Push(at, resource, operation)
            urgent = self._pending >= self.threshold or (push and directory_id in self._failed)
        if self.interval <= 0:
            self.flush()
            return
        self._ensure_thread()
        if urgent:
            self._wake.set()

    def note_failure(self, directory_id: str) -> None:
        """Remember a failure was recorded, so the next good push is written promptly."""
        with self._lock:
            self._failed.add(directory_id)

    def pending(self) -> int:
        with self._lock:
            return self._pending

    def flush(self) -> None:
        """Write everything counted so far, one transaction per directory."""
        with self._flush_lock:
            with self._lock:
                counts, self._counts = self._counts, Counter()
                pushes, self._pushes = self._pushes, {}
                self._failed.clear()
                self._pending = 0
            for directory_id in sorted({k.directory_id for k in counts} | pushes.keys()):
                mine = {k: n for k, n in counts.items() if k.directory_id == directory_id}
                if not self._write(directory_id, mine, pushes.get(directory_id)):
                    self._requeue(mine, directory_id, pushes.get(directory_id))
            self._prune_when_due()

    def _write(self, directory_id: str, counts: dict[CountKey, int], push: Push | None) -> bool:
        """True when written or deliberately dropped; False to keep for the next flush."""
        session = self._sessions()
        try:
            health_recording.add_counts(session, counts)
            if push is not None:
                health_recording.record_push(session, directory_id, push)
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            log.debug("health: dropped counts of directory %s (it no longer exists)",
                     directory_id)
            return True
        except SQLAlchemyError as exc:
            session.rollback()
            log.warning("health: could not write counts (%s); kept for the next flush",
                        type(exc).__name__)
            return False
        finally:
            session.close()

    def _requeue(self, counts: dict[CountKey, int], directory_id: str,
                 push: Push | None) -> None:
        with self._lock:
            self._counts.update(counts)
            self._pending += sum(counts.values())
            known = self._pushes.get(directory_id)
            if push is not None and (known is None or push.at > known.at):
                self._pushes[directory_id] = push

    def _prune_when_due(self) -> None:
        now = self._monotonic()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_INTERVAL_SECONDS:
            return
        self._pruned_at = now
        session = self._sessions()
        try:
            health_recording.prune_counts(session)
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            log.warning("health: could not prune old counts (%s)", type(exc).__name__)
        finally:
            session.close()

    def _ensure_thread(self) -> None:
        """Start the writer in this process (after a fork, the parent's thread is gone)."""
        if self._owner_pid == os.getpid():
            return
        with self._lock:
            if self._owner_pid == os.getpid():
                return
            self._owner_pid = os.getpid()
        threading.Thread(target=self._run, name="scim-health-flush", daemon=True).start()
        atexit.register(self._flush_quietly)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - the writer thread must outlive any one failure
            log.exception("health: flush failed")
