"""This process's provisioning counts, held in memory and written in batches.

Counting a request is a dictionary increment under a lock. `count` says when a batch is
due: `interval` seconds after the last write, `threshold` requests waiting, or a
successful push to a directory this process just saw fail (so the health state turns
back to "healthy" promptly). The caller then writes it once the response has been sent
(ops/health_recorder.py uses the response's close), so no request waits on the
database for its own bookkeeping. A worker that falls idle with counts pending is
covered by a backstop thread that writes what has waited `6 x interval` seconds. A batch
that cannot be written because the database is unavailable is kept for the next
attempt; one whose directory no longer exists is dropped.
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
                 keep_failures: int = health_recording.FAILURES_KEPT,
                 clock: Callable[[], float] | None = None):
        self._sessions = sessions
        self.keep_failures = keep_failures
        self.interval = interval
        self.threshold = max(1, threshold)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._counts: Counter[CountKey] = Counter()
        self._pushes: dict[str, Push] = {}
        self._failed: set[str] = set()
        self._pending = 0
        self._owner_pid: int | None = None
        self._monotonic = clock or time.monotonic
        self._flushed_at = self._monotonic()
        self._pruned_at: float | None = None

    @property
    def backstop_seconds(self) -> float:
        return max(5.0, 6 * self.interval)

    def count(self, directory_id: str, resource: str, operation: str, outcome: str,
              at: datetime, *, push: bool) -> bool:
        """Count one request (`push`: a successful change, docs/health.md); True when a
        batch is due, which the caller writes with `flush` once its response is out."""
        key = CountKey(directory_id, hour_of(at), resource, operation, outcome)
        with self._lock:
            self._counts[key] += 1
            self._pending += 1
            if push:
                known = self._pushes.get(directory_id)
                if known is None or at >= known.at:
                    self._pushes[directory_id] = Push(at, resource, operation)
            return (self._pending >= self.threshold
                    or (push and directory_id in self._failed)
                    or self._monotonic() - self._flushed_at >= self.interval)

    def note_failure(self, directory_id: str) -> None:
        """Remember a failure was recorded: its directory's failures are pruned at the next
        flush, and the directory's next good push makes a batch due at once."""
        with self._lock:
            self._failed.add(directory_id)

    def pending(self) -> int:
        with self._lock:
            return self._pending

    def flush(self, *, wait: bool = True) -> None:
        """Write everything counted so far, one transaction per directory. Without `wait`,
        return at once when another thread is writing (what it missed waits for the next)."""
        if not self._flush_lock.acquire(blocking=wait):
            return
        try:
            self._flush()
        finally:
            self._flush_lock.release()

    def _flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            pushes, self._pushes = self._pushes, {}
            failed, self._failed = self._failed, set()
            self._pending = 0
            self._flushed_at = self._monotonic()
        for directory_id in sorted({k.directory_id for k in counts} | pushes.keys()):
            mine = {k: n for k, n in counts.items() if k.directory_id == directory_id}
            if not self._write(directory_id, mine, pushes.get(directory_id)):
                self._requeue(mine, directory_id, pushes.get(directory_id))
        self._prune_failures(failed)
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

    def _prune_failures(self, directory_ids: set[str]) -> None:
        """Keep the newest failures of the directories that had new ones (one range each)."""
        if not directory_ids:
            return
        session = self._sessions()
        try:
            for directory_id in sorted(directory_ids):
                health_recording.prune_failures(session, directory_id, self.keep_failures)
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            with self._lock:
                self._failed |= directory_ids  # try again at the next flush
            log.warning("health: could not prune failures (%s)", type(exc).__name__)
        finally:
            session.close()

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

    def start_backstop(self) -> None:
        """Start the idle-worker writer in this process (after a fork, the parent's is gone)."""
        if self._owner_pid == os.getpid():
            return
        with self._lock:
            if self._owner_pid == os.getpid():
                return
            self._owner_pid = os.getpid()
        threading.Thread(target=self._run, name="scim-health-flush", daemon=True).start()
        atexit.register(self.flush_quietly)

    def _run(self) -> None:
        while True:
            time.sleep(self.backstop_seconds)
            if self.pending() and (self._monotonic() - self._flushed_at
                                   >= self.backstop_seconds):
                self.flush_quietly()

    def flush_quietly(self) -> None:
        """`flush` for after a response, the backstop and exit: never waits, never raises."""
        try:
            self.flush(wait=False)
        except Exception:  # noqa: BLE001 - the writer thread must outlive any one failure
            log.exception("health: flush failed")
