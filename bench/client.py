"""The load-driving client: a separate process, several threads, bounded in count and time.

Run as `python -m bench.client PLAN.json RESULT.json`. The plan names a server and a list
of scenarios; each scenario is either a list of concrete requests shared by `threads`
threads (each with its own keep-alive connection), or a `walk` that follows pages until
the last one. Every loop stops at its request count or its time limit, whichever first.
"""
from __future__ import annotations

import http.client
import json
import math
import sys
import threading
import time
from typing import Any
from urllib.parse import quote, urlsplit


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values) - 1e-9)))
    return sorted_values[rank - 1]


def summarize(latencies: list[float], wall: float, errors: int, samples: list[str],
              nbytes: int) -> dict[str, Any]:
    """Latency percentiles in milliseconds and throughput in requests per second."""
    ordered = sorted(latencies)
    ms = [v * 1000 for v in ordered]
    return {
        "requests": len(ordered), "errors": errors, "error_samples": samples[:5],
        "seconds": round(wall, 3),
        "throughput": round(len(ordered) / wall, 2) if wall > 0 and ordered else None,
        "p50_ms": _round(percentile(ms, 0.50)), "p95_ms": _round(percentile(ms, 0.95)),
        "p99_ms": _round(percentile(ms, 0.99)),
        "mean_ms": _round(sum(ms) / len(ms)) if ms else None,
        "max_ms": _round(ms[-1]) if ms else None,
        "bytes_per_response": int(nbytes / len(ordered)) if ordered else None,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class Connection:
    """One keep-alive HTTP connection, reopened when the server closes it."""

    def __init__(self, base: str, headers: dict[str, str]):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.headers = headers
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if payload is not None:
            headers["Content-Type"] = "application/scim+json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
            try:
                self.conn.request(method, self.prefix + path, body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _check(request: dict[str, Any], status: int, data: bytes) -> str | None:
    """Why a response is wrong, or None when it is what the plan expects."""
    expected = request.get("expect", [200])
    if status not in expected:
        return f"{request['method']} {request['path'][:80]} -> {status} {data[:200]!r}"
    if "expect_created" in request:
        operations = json.loads(data).get("Operations") or []
        created = sum(1 for op in operations if str(op.get("status", "")).startswith("201"))
        if created != request["expect_created"]:
            failed = next((op for op in operations
                           if not str(op.get("status", "")).startswith("201")), None)
            return (f"Bulk created {created} of {request['expect_created']}: "
                    f"{json.dumps(failed)[:200]}")
    if "expect_total" in request:
        total = json.loads(data).get("totalResults")
        if total != request["expect_total"]:
            return f"{request['path'][:80]}: totalResults {total}, expected {request['expect_total']}"
    return None


def run_requests(base: str, headers: dict[str, str], scenario: dict[str, Any]) -> dict[str, Any]:
    """Share the scenario's requests among its threads until done or out of time."""
    requests = scenario["requests"]
    deadline = time.monotonic() + scenario.get("max_seconds", 30)
    lock = threading.Lock()
    position = [0]
    latencies: list[float] = []
    samples: list[str] = []
    counters = {"errors": 0, "bytes": 0}

    def worker() -> None:
        conn = Connection(base, headers)
        mine: list[float] = []
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = position[0]
                    position[0] += 1
                if index >= len(requests):
                    break
                req = requests[index]
                started = time.perf_counter()
                try:
                    status, data = conn.request(req["method"], req["path"], req.get("body"))
                except OSError as exc:
                    status, data = 0, str(exc).encode()
                elapsed = time.perf_counter() - started
                problem = _check(req, status, data)
                with lock:
                    counters["bytes"] += len(data)
                    if problem:
                        counters["errors"] += 1
                        samples.append(problem)
                if not problem:
                    mine.append(elapsed)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(scenario.get("threads", 1))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    result = summarize(latencies, wall, counters["errors"], samples, counters["bytes"])
    result["planned"] = len(requests)
    result["threads"] = scenario.get("threads", 1)
    result["timed_out"] = position[0] < len(requests)
    return result


def run_walk(base: str, headers: dict[str, str], scenario: dict[str, Any]) -> dict[str, Any]:
    """Page through a collection by cursor (RFC 9865) or startIndex, one page at a time."""
    conn = Connection(base, headers)
    path, count, mode = scenario["path"], scenario["count"], scenario["mode"]
    deadline = time.monotonic() + scenario.get("max_seconds", 60)
    latencies: list[float] = []
    seen, cursor, start, last_cursor = 0, "", 1, None
    cursors: list[tuple[int, str]] = []
    samples: list[str] = []
    started = time.perf_counter()
    complete = False
    nbytes = 0
    try:
        while time.monotonic() < deadline and len(latencies) < scenario.get("max_pages", 10_000):
            page = (f"cursor={quote(cursor)}" if mode == "cursor" else f"startIndex={start}")
            t0 = time.perf_counter()
            extra = f"&{scenario['params']}" if scenario.get("params") else ""
            status, data = conn.request("GET", f"{path}?{page}&count={count}{extra}")
            elapsed = time.perf_counter() - t0
            nbytes += len(data)
            if status != 200:
                samples.append(f"page at {seen} -> {status} {data[:200]!r}")
                break
            latencies.append(elapsed)
            body = json.loads(data)
            items = len(body.get("Resources") or [])
            seen += items
            if mode == "cursor":
                last_cursor = body.get("nextCursor")
                if not last_cursor:
                    complete = True
                    break
                cursors.append((seen, last_cursor))
                cursor = last_cursor
            else:
                start += items
                if items == 0 or start > body.get("totalResults", 0):
                    complete = True
                    break
    finally:
        conn.close()
    wall = time.perf_counter() - started
    result = summarize(latencies, wall, len(samples), samples, nbytes)
    keep = scenario.get("keep_cursor_after")
    deep = [c for c in cursors if keep is not None and c[0] >= keep]
    if keep is not None and not deep and cursors:
        deep = cursors[-1:]  # out of time before the end: the deepest cursor reached
    result.update(mode=mode, pages=len(latencies), resources_seen=seen, complete=complete,
                  deep_cursor=deep[0][1] if deep else None,
                  deep_cursor_position=deep[0][0] if deep else None,
                  first_page_ms=_round(latencies[0] * 1000) if latencies else None,
                  last_page_ms=_round(latencies[-1] * 1000) if latencies else None)
    return result


def run_plan(plan: dict[str, Any]) -> list[dict[str, Any]]:
    base, headers = plan["base"], plan.get("headers", {})
    results = []
    for scenario in plan["scenarios"]:
        t0 = time.time()
        if scenario.get("kind") == "walk":
            outcome = run_walk(base, headers, scenario)
        else:
            outcome = run_requests(base, headers, scenario)
        outcome.update(name=scenario["name"], started=t0, ended=time.time(),
                       **scenario.get("labels", {}))
        results.append(outcome)
    return results


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m bench.client PLAN.json RESULT.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        plan = json.load(handle)
    results = run_plan(plan)
    with open(argv[1], "w", encoding="utf-8") as handle:
        json.dump(results, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
