"""What provisioning-health recording costs on the SCIM path, measured on a live server.

The same server (`scim-server serve --workers N`, gunicorn) runs with recording off
(`SCIM_HEALTH_RECORDING=false`) and on, alternately, several rounds each, against one
database; each round drives, from a separate client process (`bench.client`):

- `POST /Users` of new users (counted; the batch written after responses are sent),
- `GET /Users/{id}` of existing users (counted),
- `POST /Users` of a userName already taken (409: counted and one failure row written).

Run it (a few minutes):

    python -m bench.health_overhead --backend sqlite --rounds 3
    python -m bench.health_overhead --backend postgresql --rounds 3 --requests 600

It prints one line per scenario and run, then the median throughput and latency of each
scenario with recording off and on and the difference; `--json PATH` keeps everything.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import scenarios, servers
from .driver import Driver
from .scenarios import Limits

MODES = ("off", "on")


def plans(first: int, ids: list[str], taken: int, limits: Limits) -> list[dict[str, Any]]:
    """The three scenarios of one round; new users are numbered from `first`."""
    conflicts = [{"method": "POST", "path": "/Users", "body": scenarios.user_body(taken),
                  "expect": [409]} for _ in range(limits.requests)]
    return [
        scenarios.create_users(first, limits),
        scenarios.get_users(ids, limits),
        scenarios.scenario("refused creates", conflicts, limits, kind="POST /Users (409)"),
    ]


def run(backend: str, rounds: int, requests: int, threads: int, workers: int,
        out_dir: Path) -> list[dict[str, Any]]:
    """Every measured scenario, labelled with its mode and round."""
    limits = Limits(requests=requests, max_seconds=120, threads=threads)
    measured: list[dict[str, Any]] = []
    with servers.database(backend, out_dir) as url:
        servers.upgrade(url, out_dir)
        tenant = servers.bootstrap(url, "Bench", "Health", out_dir)
        headers = {"Authorization": f"Bearer {tenant['scim_token']}",
                   "Content-Type": "application/scim+json"}
        first = scenarios.SYNC_BASE
        ids: list[str] = []
        for number in range(rounds):
            for mode in (MODES if number % 2 == 0 else MODES[::-1]):  # alternate the order
                os.environ["SCIM_HEALTH_RECORDING"] = "true" if mode == "on" else "false"
                server = servers.start_scim_server(url, workers, out_dir)
                try:
                    driver = Driver(server.base + tenant["scim_path"], headers, out_dir,
                                    f"health-{mode}-{number}")
                    if not ids:  # users to read: made once, outside any measurement
                        driver.run([scenarios.create_users(1, Limits(requests, 120, threads))])
                        listed = driver.get_json(f"/Users?count={requests}&attributes=id")
                        ids = [r["id"] for r in listed["Resources"]]
                    for result in driver.run(plans(first, ids, 1, limits)):
                        result.update(mode=mode, round=number, backend=backend)
                        measured.append(result)
                    first += requests
                finally:
                    server.stop()
    os.environ.pop("SCIM_HEALTH_RECORDING", None)
    return measured


def summary(measured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Median throughput and latency per scenario and mode, and the change on/off."""
    rows = []
    for kind in dict.fromkeys(r["kind"] for r in measured):
        row: dict[str, Any] = {"kind": kind}
        for mode in MODES:
            mine = [r for r in measured if r["kind"] == kind and r["mode"] == mode]
            row[mode] = {key: statistics.median(r[key] for r in mine if r[key] is not None)
                         for key in ("throughput", "p50_ms", "p95_ms")}
            row[mode]["errors"] = sum(r["errors"] for r in mine)
        off, on = row["off"]["throughput"], row["on"]["throughput"]
        row["throughput_change_pct"] = round((on - off) / off * 100, 1)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    root = str(Path(__file__).resolve().parent.parent)  # serve this checkout's code
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="health-bench-") as folder:
        measured = run(args.backend, args.rounds, args.requests, args.threads, args.workers,
                       Path(folder))
    rows = summary(measured)
    print(f"\n{args.backend}, {args.workers} workers, {args.threads} client threads, "
          f"{args.rounds} rounds of {args.requests} requests (medians):")
    print(f"{'scenario':24} {'off req/s':>10} {'on req/s':>10} {'change':>8} "
          f"{'off p50':>8} {'on p50':>8} {'off p95':>8} {'on p95':>8}")
    for row in rows:
        off, on = row["off"], row["on"]
        print(f"{row['kind']:24} {off['throughput']:10.1f} {on['throughput']:10.1f} "
              f"{row['throughput_change_pct']:7.1f}% {off['p50_ms']:8.2f} {on['p50_ms']:8.2f} "
              f"{off['p95_ms']:8.2f} {on['p95_ms']:8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": measured, "summary": rows}, indent=1))
    return 0 if all(r["off"]["errors"] == r["on"]["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
