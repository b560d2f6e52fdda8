"""A first sync of N users through the HTTP API, end to end, as an identity provider runs it.

`python -m bench.first_sync --backend sqlite|postgresql --users 1000000 [--via bulk|post]`

What production runs, started the way users start it: a fresh database (`db upgrade`), a
tenant (`bootstrap`), `scim-server serve --workers 2` and `scim-server worker` (the
periodic jobs, among them planner statistics: this machine's PostgreSQL runs without
autovacuum). A client process pushes every user once, in Bulk requests of `--bulk-size`
creations (RFC 7644 §3.7) or as single POSTs, from `--threads` connections, then:

- checks the directory holds exactly N users (`totalResults`), and every operation
  answered 201;
- reads the sync cycle's lookups (`userName`, `externalId`, `emails[value eq]`) at N;
- pages with a cursor (RFC 9865): the first page, then a walk of 1,000 a page to near the
  end (`--walk-to`, a fraction of N), then the page there; every walked page is timed, so
  a page's cost along the way shows whether it grows with its position;
- reports throughput per window of users (does the sync slow as the directory grows?),
  the total, and the peak resident memory of every server and worker process.

Everything is bounded: the sync by `--max-minutes`, every other step by count.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import scenarios as sc
from . import servers
from .client import Connection, percentile
from .procmem import MemoryMonitor
from .seed import external_id, user_name

WINDOW_USERS = 50_000


def _bulk_body(first: int, size: int) -> dict[str, Any]:
    return {"schemas": [sc.BULK_REQUEST], "failOnErrors": 1, "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": f"u{first + i}",
         "data": sc.user_body(first + i)} for i in range(size)]}


class Sync:
    """Pushes users 0..N-1 from several connections; counts and times as it goes."""

    def __init__(self, base: str, headers: dict[str, str], users: int, via: str,
                 bulk_size: int, threads: int, deadline: float):
        self.base, self.headers, self.users, self.via = base, headers, users, via
        self.step = bulk_size if via == "bulk" else 1
        self.threads, self.deadline = threads, deadline
        self.lock = threading.Lock()
        self.next_first = 0
        self.done = 0
        self.errors: list[str] = []
        self.latencies: list[float] = []
        self.windows: list[dict[str, Any]] = []
        self._window_started = time.monotonic()
        self._window_done = 0

    def run(self) -> float:
        started = time.monotonic()
        workers = [threading.Thread(target=self._push) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.monotonic() - started

    def _claim(self) -> int | None:
        with self.lock:
            if self.next_first >= self.users or time.monotonic() > self.deadline or (
                    len(self.errors) > 20):
                return None
            first = self.next_first
            self.next_first += self.step
            return first

    def _push(self) -> None:
        conn = Connection(self.base, self.headers)
        try:
            while (first := self._claim()) is not None:
                size = min(self.step, self.users - first)
                started = time.perf_counter()
                if self.via == "bulk":
                    status, data = conn.request("POST", "/Bulk", _bulk_body(first, size))
                    ok = status == 200 and all(
                        op.get("status") == "201" for op in json.loads(data)["Operations"])
                else:
                    status, data = conn.request("POST", "/Users", sc.user_body(first))
                    ok = status == 201
                self._record(time.perf_counter() - started, size, ok, status, data)
        finally:
            conn.close()

    def _record(self, elapsed: float, size: int, ok: bool, status: int, data: bytes) -> None:
        with self.lock:
            self.latencies.append(elapsed)
            if not ok:
                self.errors.append(f"{status}: {data[:300]!r}")
                return
            self.done += size
            self._window_done += size
            if self._window_done >= WINDOW_USERS:
                now = time.monotonic()
                self.windows.append({"users_at_end": self.done, "users_per_s": round(
                    self._window_done / (now - self._window_started), 1)})
                self._window_started, self._window_done = now, 0


def _timed(conn: Connection, path: str, count: int) -> tuple[list[float], bytes]:
    times, data = [], b""
    for _ in range(count):
        started = time.perf_counter()
        status, data = conn.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"GET {path[:120]}: {status} {data[:300]!r}")
    return times, data


def _summary(times: list[float]) -> dict[str, float | None]:
    ordered = sorted(times)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(percentile(ordered, 0.95) or 0, 3)}


def lookups(conn: Connection, users: int, count: int) -> dict[str, Any]:
    """The sync cycle's questions, for users spread over the whole directory."""
    picks = sc.sample(users, count, seed=users)
    out = {}
    for kind, value in (("userName eq", lambda i: f'userName eq "{user_name(i)}"'),
                        ("externalId eq", lambda i: f'externalId eq "{external_id(i)}"'),
                        ("emails[value eq]", lambda i: f'emails[value eq "{user_name(i)}"]')):
        times = []
        for index in picks:
            found, data = _timed(conn, "/Users?filter=" + quote(value(index)), 1)
            if json.loads(data).get("totalResults") != 1:
                raise RuntimeError(f"{kind} for user {index}: {data[:200]!r}")
            times += found
        out[kind] = _summary(times)
    return out


def cursor_pages(conn: Connection, users: int, walk_to: float, repeat: int,
                 deadline: float, walk_page: int = 1000) -> dict[str, Any]:
    """First page, a walk of `walk_page` a page to `walk_to` of the directory, the page
    there."""
    first, _ = _timed(conn, "/Users?count=100&cursor=", repeat)
    walked: list[float] = []
    cursor, position = "", 0
    while position < users * walk_to and time.monotonic() < deadline:
        path = f"/Users?count={walk_page}&attributes=id&cursor={quote(cursor)}"
        times, data = _timed(conn, path, 1)
        walked += times
        page = json.loads(data)
        following = page.get("nextCursor")
        if not following:
            break  # the end: keep the last cursor, the deepest page there is
        position += len(page.get("Resources", []))
        cursor = following
    deep, _ = _timed(conn, f"/Users?count=100&cursor={quote(cursor)}", repeat)
    tenth = max(1, len(walked) // 10)
    return {"first_page_100": _summary(first), "deep_page_100": _summary(deep),
            "deep_position": position,
            "ratio_deep_to_first": round(statistics.median(deep) / statistics.median(first), 2),
            "walk_pages": len(walked), "walk_page_size": walk_page,
            "walk_first_tenth_p50_ms": round(statistics.median(walked[:tenth]), 3),
            "walk_last_tenth_p50_ms": round(statistics.median(walked[-tenth:]), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_sync", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--via", choices=("bulk", "post"), default="bulk")
    parser.add_argument("--bulk-size", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-minutes", type=float, default=40)
    parser.add_argument("--walk-to", type=float, default=0.95)
    parser.add_argument("--walk-page", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out_dir = args.out or Path("bench/results") / time.strftime(
        f"%Y%m%d-%H%M%S-first-sync-{args.backend}")
    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"backend": args.backend, "users": args.users, "via": args.via,
                              "bulk_size": args.bulk_size, "threads": args.threads,
                              "workers": args.workers}
    with servers.database(args.backend, out_dir) as url:
        servers.upgrade(url, out_dir)
        creds = servers.bootstrap(url, "First sync", "idp", out_dir)
        server = servers.start_scim_server(url, args.workers, out_dir)
        with open(out_dir / "worker.log", "ab") as log:  # the child keeps its own copy
            jobs = subprocess.Popen(servers.scim_server_command("worker"), cwd=out_dir,
                                    env=servers.checkout_env(SCIM_DATABASE_URL=url),
                                    stdout=log, stderr=subprocess.STDOUT)
        memory = MemoryMonitor(server.pid).start()
        jobs_memory = MemoryMonitor(jobs.pid, include_root=True).start()
        try:
            headers = {"Authorization": f"Bearer {creds['scim_token']}",
                       "Accept": "application/scim+json"}
            base = server.base + creds["scim_path"]
            deadline = time.monotonic() + args.max_minutes * 60
            sync = Sync(base, headers, args.users, args.via, args.bulk_size, args.threads,
                        deadline)
            wall = sync.run()
            conn = Connection(base, headers)
            _, data = _timed(conn, "/Users?count=0", 1)
            stored = json.loads(data)["totalResults"]
            report["sync"] = {
                "seconds": round(wall, 1), "users_created": sync.done, "stored": stored,
                "users_per_s": round(sync.done / wall, 1), "errors": sync.errors[:5],
                "error_count": len(sync.errors), "windows": sync.windows,
                "request_p50_ms": round(statistics.median(sync.latencies) * 1000, 1),
                "minutes_for_1m_at_this_rate": round(1_000_000 / (sync.done / wall) / 60, 1)}
            print(json.dumps(report["sync"]), flush=True)
            report["lookups"] = lookups(conn, stored, 100)
            print(json.dumps(report["lookups"]), flush=True)
            report["cursor"] = cursor_pages(conn, stored, args.walk_to, 20,
                                            time.monotonic() + 900, args.walk_page)
            print(json.dumps(report["cursor"]), flush=True)
            conn.close()
        finally:
            memory.stop()
            jobs_memory.stop()
            server.stop()
            jobs.terminate()
            jobs.wait(timeout=30)
        report["memory"] = {"serve_workers": memory.report(), "worker": jobs_memory.report()}
    (out_dir / "first_sync.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report["memory"]))
    print(f"report: {out_dir / 'first_sync.json'}")
    return 0 if not report["sync"]["error_count"] and report["sync"]["stored"] == args.users else 1


if __name__ == "__main__":
    raise SystemExit(main())
