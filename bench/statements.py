"""Per-request cost, in process: SQL statements and milliseconds of POST, PUT, GET /Users.

`python -m bench.statements [--backend sqlite|postgresql] [--repeat N] [--profile OP]`
builds the application as `scim-server serve` does (production settings, except the rate
limit), on a fresh database, and drives it with Flask's test client: no network, no
gunicorn, so the figures depend less on what else the machine runs than HTTP throughput
does; the CPU column (this thread's CPU time, median) depends on it less, and the Python
function calls per request (counted by cProfile over 50 more requests) not at all: the
load-independent measure of how much Python work a request does. Statements are counted with a `before_cursor_execute` listener on the
application's engine; each operation runs `--repeat` times and the median is reported.
`--profile POST` prints a cProfile of that operation instead (cumulative time, top 40).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import event

from scim_server import Config, create_app, db, migrate
from scim_server.services import tenancy
from scim_server.services.actors import Actor

from . import servers
from .scenarios import user_body


class StatementCounter:
    """Counts statements (and keeps their first words) on one engine, and times the
    write transactions: from BEGIN to COMMIT or ROLLBACK of a writer connection, the
    span in which SQLite's write lock is held (and PostgreSQL's row locks are)."""

    def __init__(self, engine: Any):
        self.count, self.kinds, self.write_ms = 0, Counter[str](), 0.0
        self._began: float | None = None
        event.listen(engine, "before_cursor_execute", self._seen)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        self.kinds[" ".join(statement.split()[:3])[:60]] += 1

    def _begin(self, conn: Any) -> None:
        if conn.get_execution_options().get("scim_writes", False):
            self._began = time.perf_counter()

    def _end(self, _conn: Any) -> None:
        if self._began is not None:
            self.write_ms += (time.perf_counter() - self._began) * 1000
            self._began = None

    def reset(self) -> None:
        self.count, self.kinds, self.write_ms = 0, Counter(), 0.0


def build(url: str) -> tuple[Any, dict[str, str], StatementCounter]:
    config = Config.from_env(database_url=url, public_url="http://bench.test",
                             smtp_url=None, redis_url=None, rate_limit_enabled=False)
    app = create_app(config)
    with app.app_context():
        migrate.upgrade(db.engine())
        session = db.new_session(app)
        org = tenancy.create_organization(session, "Bench", Actor.cli())
        directory = tenancy.create_directory(session, org, "Bench directory", "generic",
                                             Actor.cli())
        token = tenancy.issue_scim_token(session, directory, Actor.cli())
        base, secret = f"/scim/v2/directories/{directory.id}", token.secret
        session.commit()
        session.close()
        counter = StatementCounter(db.engine())
    return app, {"base": base, "Authorization": f"Bearer {secret}"}, counter


def operations(app: Any, creds: dict[str, str]) -> dict[str, Callable[[int], Any]]:
    client = app.test_client()
    headers = {"Authorization": creds["Authorization"], "Content-Type": "application/scim+json"}
    base, ids = creds["base"], []

    def post(i: int) -> Any:
        response = client.post(base + "/Users", data=json.dumps(user_body(i)), headers=headers)
        assert response.status_code == 201, response.data[:300]
        ids.append((response.json["id"], i))
        return response

    serial = iter(range(10**9))

    def put(i: int) -> Any:  # the user as created, but a new displayName: never a no-op
        uid, index = ids[i % len(ids)]
        response = client.put(f"{base}/Users/{uid}", headers=headers,
                              data=json.dumps(user_body(index,
                                                        displayName=f"R {next(serial)}")))
        assert response.status_code == 200, response.data[:300]
        return response

    def get(i: int) -> Any:
        response = client.get(f"{base}/Users/{ids[i % len(ids)][0]}", headers=headers)
        assert response.status_code == 200, response.data[:300]
        return response

    return {"POST /Users": post, "PUT /Users/{id}": put, "GET /Users/{id}": get}


def measure(app: Any, creds: dict[str, str], counter: StatementCounter, repeat: int
            ) -> list[dict[str, Any]]:
    rows = []
    for name, op in operations(app, creds).items():
        for i in range(20):  # warm-up: caches, prepared plans, the token cache
            op(10_000 + i) if name == "POST /Users" else op(i)
        times, cpu, counts, kinds, held = [], [], [], Counter[str](), []
        for i in range(repeat):
            counter.reset()
            started, cpu_started = time.perf_counter(), time.thread_time()
            op(20_000 + i) if name == "POST /Users" else op(i)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - cpu_started) * 1000)
            counts.append(counter.count)
            held.append(counter.write_ms)
            kinds += counter.kinds
        profiler, runs = cProfile.Profile(), 50
        profiler.enable()
        for i in range(runs):
            op(60_000 + i) if name == "POST /Users" else op(i)
        profiler.disable()
        calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
        rows.append({"operation": name, "statements": statistics.median(counts),
                     "python_calls": round(calls / runs),
                     "median_ms": round(statistics.median(times), 3),
                     "cpu_ms": round(statistics.median(cpu), 3),
                     "write_transaction_ms": round(statistics.median(held), 3),
                     "p90_ms": round(sorted(times)[int(len(times) * 0.9)], 3),
                     "kinds": {k: round(v / repeat, 2) for k, v in kinds.most_common()}})
    return rows


def profile(app: Any, creds: dict[str, str], name: str, repeat: int) -> None:
    ops = operations(app, creds)
    for i in range(max(40, repeat // 5)):
        ops["POST /Users"](30_000 + i)
    op = ops[next(k for k in ops if k.startswith(name))]
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(repeat):
        op(40_000 + i) if name.startswith("POST") else op(i)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def _database(backend: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        with servers.database(backend, Path(tmp)) as url:
            yield url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.statements", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", default=None, help="POST, PUT or GET")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for url in _database(args.backend):
        app, creds, counter = build(url)
        if args.profile:
            profile(app, creds, args.profile.upper(), args.repeat)
        else:
            rows = measure(app, creds, counter, args.repeat)
            if args.json:
                print(json.dumps(rows, indent=1))
            for r in rows:
                print(f"{args.backend:10} {r['operation']:18} statements {r['statements']:>4}  "
                      f"median {r['median_ms']:7.3f} ms  p90 {r['p90_ms']:7.3f} ms  "
                      f"CPU {r['cpu_ms']:6.3f} ms  in write transaction "
                      f"{r['write_transaction_ms']:6.3f} ms  Python calls {r['python_calls']:6}")
                if not args.json:
                    for kind, n in r["kinds"].items():
                        print(f"{'':32}{n:5} × {kind}")
        with app.app_context():
            db.engine().dispose()


if __name__ == "__main__":
    main()
