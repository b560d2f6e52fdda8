"""Resident memory of a server's processes through a run, polled from /proc.

`VmHWM` is the kernel's own high-water mark of a process's resident set, so a peak
between two polls is not missed; `VmRSS` samples show when during the run it happened.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any


def _status_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def children(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers, for its arbiter)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(p) for p in handle.read().split())
    except OSError:
        return found
    return found


class MemoryMonitor:
    """Poll a process and its children; remember each pid's peak and a few samples."""

    def __init__(self, root_pid: int, *, interval: float = 0.25, include_root: bool = False):
        self.root_pid = root_pid
        self.interval = interval
        self.include_root = include_root
        self.peaks: dict[int, dict[str, int]] = {}
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> "MemoryMonitor":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _pids(self) -> list[int]:
        pids = children(self.root_pid)
        return [self.root_pid, *pids] if self.include_root else pids

    def _poll(self) -> None:
        while not self._stop.is_set():
            now = time.time()
            for pid in self._pids():
                rss, hwm = _status_kb(pid, "VmRSS"), _status_kb(pid, "VmHWM")
                if rss is None:
                    continue
                peak = self.peaks.setdefault(pid, {"peak_rss_kb": 0, "hwm_kb": 0})
                peak["peak_rss_kb"] = max(peak["peak_rss_kb"], rss)
                peak["hwm_kb"] = max(peak["hwm_kb"], hwm or 0)
                self.samples.append((now, pid, rss))
            self._stop.wait(self.interval)

    def peak_between(self, start: float, end: float) -> int | None:
        """The largest RSS (kB) any watched process showed between two times."""
        slack = 2 * self.interval  # a short scenario may fall between two polls
        values = [rss for t, _pid, rss in self.samples if start - slack <= t <= end + slack]
        return max(values) if values else None

    def report(self) -> dict[str, Any]:
        per_pid = {str(pid): {"peak_mb": round(max(p["peak_rss_kb"], p["hwm_kb"]) / 1024, 1),
                              "peak_rss_sampled_mb": round(p["peak_rss_kb"] / 1024, 1)}
                   for pid, p in sorted(self.peaks.items())}
        overall = max((v["peak_mb"] for v in per_pid.values()), default=None)
        return {"workers": per_pid, "max_worker_peak_mb": overall}
