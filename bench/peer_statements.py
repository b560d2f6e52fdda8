"""django-scim2's per-request cost, in process, measured as `bench.statements` measures ours.

`python -m bench.peer_statements [--backend sqlite|postgresql] [--repeat N]` migrates the
peer (`bench/peers/djangopeer`) into a fresh database and drives POST, PUT and GET
`/Users/{id}` with Django's test client: no network, no gunicorn. Reported per operation:
SQL statements (counted with Django's `execute_wrapper`), median wall and CPU time of the
request's thread, and Python function calls per request (cProfile over 50 more requests).
Side by side with `python -m bench.statements` this shows how much work each server does
per request, independent of what else the machine runs, which HTTP throughput is not.

The bodies are the ones `bench.statements` sends (`bench.scenarios.user_body`), so both
servers store the same users; what each does with them differs (bench/README.md).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from . import servers
from .scenarios import user_body

TOKEN = "peer-statements"


def _setup(url: str) -> None:
    """Point the peer's settings at `url` and create its tables (before Django loads)."""
    os.environ.update({"PEER_DATABASE_URL": url, "PEER_TOKEN": TOKEN,
                       "PEER_NETLOC": "127.0.0.1:1",
                       "DJANGO_SETTINGS_MODULE": "bench.peers.djangopeer.settings"})
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)


def operations() -> dict[str, Callable[[int], Any]]:
    from django.test import Client
    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    ids: list[tuple[str, int]] = []
    serial = iter(range(10**9))

    def post(i: int) -> None:
        response = client.post("/scim/v2/Users", data=json.dumps(user_body(i)),
                               content_type="application/scim+json")
        assert response.status_code == 201, response.content[:300]
        ids.append((json.loads(response.content)["id"], i))

    def put(i: int) -> None:  # as bench.statements: a new displayName, never a no-op
        uid, index = ids[i % len(ids)]
        body = user_body(index, displayName=f"R {next(serial)}")
        response = client.put(f"/scim/v2/Users/{uid}", data=json.dumps(body),
                              content_type="application/scim+json")
        assert response.status_code == 200, response.content[:300]

    def get(i: int) -> None:
        response = client.get(f"/scim/v2/Users/{ids[i % len(ids)][0]}")
        assert response.status_code == 200, response.content[:300]

    return {"POST /Users": post, "PUT /Users/{id}": put, "GET /Users/{id}": get}


def measure(repeat: int) -> list[dict[str, Any]]:
    from django.db import connection
    rows = []
    for name, op in operations().items():
        creating = name == "POST /Users"
        for i in range(20):  # warm-up, as bench.statements
            op(10_000 + i if creating else i)
        times, cpu, counts, kinds = [], [], [], Counter[str]()
        for i in range(repeat):
            seen: list[str] = []

            def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                seen.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                started, cpu_started = time.perf_counter(), time.thread_time()
                op(20_000 + i if creating else i)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.thread_time() - cpu_started) * 1000)
            counts.append(len(seen))
            kinds.update(" ".join(sql.split()[:3])[:60] for sql in seen)
        profiler, runs = cProfile.Profile(), 50
        profiler.enable()
        for i in range(runs):
            op(60_000 + i if creating else i)
        profiler.disable()
        rows.append({"operation": name, "statements": statistics.median(counts),
                     "median_ms": round(statistics.median(times), 3),
                     "cpu_ms": round(statistics.median(cpu), 3),
                     "python_calls": round(pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
                                           / runs),
                     "kinds": {k: round(v / repeat, 2) for k, v in kinds.most_common()}})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer_statements",
                                     description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        with servers.database(args.backend, Path(tmp)) as url:
            _setup(url)
            rows = measure(args.repeat)
            from django.db import connections
            connections.close_all()  # before the database is dropped
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for r in rows:
        print(f"django-scim2 {args.backend:10} {r['operation']:18} statements "
              f"{r['statements']:>4}  median {r['median_ms']:7.3f} ms  CPU {r['cpu_ms']:6.3f} ms"
              f"  Python calls {r['python_calls']:6}")
        for kind, n in r["kinds"].items():
            print(f"{'':34}{n:5} × {kind}")


if __name__ == "__main__":
    main()
