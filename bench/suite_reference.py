"""The same scenarios against scim2-server (in memory), as far as it gets in its budget.

The reference keeps everything in one process; it is seeded through its own storage
layer (the seeding hook of `bench/reference_server.py`, 10,000 users a call). A scale or a
group size it cannot reach within the profile's seeding budget is skipped and reported as
not reached.
"""
from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any, Callable

from . import scenarios as sc
from . import servers
from .client import Connection
from .driver import Driver, capabilities
from .procmem import MemoryMonitor
from .profiles import Profile
from .suite_scim import REQUEST_BUDGET_MS, run_membership

TARGET = "scim2-server"
SEED_BATCH = 10_000


def token_argument(token: str) -> str:
    """`--token=VALUE` as one word: a random token may start with `-`, which argparse would
    otherwise read as an option of its own."""
    return f"--token={token}"


def run(profile: Profile, out_dir: Path, echo: Callable[[str], None] = print) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    server = servers.start_module_server("scim2-server", "bench.reference_server",
                                         [token_argument(token)], "/v2/ServiceProviderConfig",
                                         out_dir, headers)
    monitor = MemoryMonitor(server.pid).start()
    record: dict[str, Any] = {"target": TARGET, "backend": "memory", "workers": 1,
                              "results": [], "seeding": [], "notes": []}
    try:
        driver = Driver(server.base + "/v2", headers, out_dir, TARGET, monitor, echo)
        _drive_all(record, profile, driver, Connection(server.base, headers), echo)
    finally:
        monitor.stop()
        server.stop()
        record["memory"] = monitor.report()
    return record


def _drive_all(record: dict[str, Any], profile: Profile, driver: Driver, conn: Connection,
               echo: Callable[[str], None]) -> None:
    labels = {"target": TARGET, "backend": "memory"}
    caps = capabilities(driver)
    record["capabilities"] = caps
    results: list[dict[str, Any]] = record["results"]
    echo(f"[{TARGET}] initial sync: POST /Users")
    first = sc.SYNC_BASE
    for threads in profile.create_threads:
        limits = sc.Limits(profile.create_users, profile.max_seconds * 3, threads)
        results += driver.run([sc.create_users(first, limits, threads=threads, **labels)])
        first += profile.create_users
    if caps["bulk"]:
        ops = min(profile.bulk_operations, caps["bulk_max_operations"] or profile.bulk_operations)
        limits = sc.Limits(profile.bulk_requests, profile.max_seconds * 10, 1)
        results += driver.run([sc.bulk_create(first + 100_000, ops, limits, threads=1,
                                              **labels)])

    ids: list[str] = []
    try:
        for scale in profile.reference_user_scales:
            started = time.monotonic()
            reached = _seed(conn, ids, scale, started + profile.reference_seed_seconds)
            seconds = round(time.monotonic() - started, 1)
            record["seeding"].append({"users": len(ids), "seconds": seconds})
            if not reached:
                record["notes"].append(
                    f"scim2-server: seeding stopped at {len(ids)} users, short of {scale}, "
                    f"after the {profile.reference_seed_seconds:.0f} s budget")
                echo(f"[{TARGET}] {record['notes'][-1]}")
                break
            echo(f"[{TARGET}] seeded to {scale} users in {seconds} s")
            _per_scale(driver, profile, caps, scale, ids, results, labels)
        _groups(record, profile, driver, conn, ids, results, labels, echo)
    finally:
        conn.close()


def _per_scale(driver: Driver, profile: Profile, caps: dict[str, Any], scale: int,
               ids: list[str], results: list[dict[str, Any]], labels: dict[str, Any]) -> None:
    limits = sc.Limits(profile.requests, profile.max_seconds, profile.threads)
    at = {**labels, "scale": scale, "threads": profile.threads}
    plan = [sc.lookup(kind, sc.sample(scale, profile.requests, seed=scale + n), limits, **at)
            for n, kind in enumerate(sc.LOOKUPS)]
    plan.append(sc.get_users([ids[i] for i in sc.sample(scale, profile.requests, seed=7)],
                             limits, **at))
    page = min(100, scale)
    plan.append(sc.page_index(1, page, limits, "first page", **at))
    plan.append(sc.page_index(scale - page + 1, page, limits, "near the end", **at))
    targets = [(i, ids[i]) for i in sc.sample(scale, profile.requests, seed=scale * 3)]
    plan.append(sc.replace_users(targets, limits, **at))
    plan.append(sc.patch_users([uid for _, uid in targets], limits, **at))
    results += driver.run(plan)


def _groups(record: dict[str, Any], profile: Profile, driver: Driver, conn: Connection,
            ids: list[str], results: list[dict[str, Any]], labels: dict[str, Any],
            echo: Callable[[str], None]) -> None:
    """Groups of each size it can hold; members are the first seeded users, and the pool
    of users added and removed comes right after them."""
    last: tuple[int, float] | None = None  # (size, p50 ms of adding one member)
    for size in profile.reference_group_sizes:
        if last is not None:
            projected = last[1] * size / last[0]
            if projected > REQUEST_BUDGET_MS:
                record["notes"].append(
                    f"scim2-server: no group of {size:,} members: one-member PATCH is "
                    f"projected at {projected / 1000:,.0f} s from {last[1]:,.0f} ms at "
                    f"{last[0]:,} (linear), beyond the {REQUEST_BUDGET_MS / 1000:.0f} s "
                    "request budget (gunicorn kills a worker at 90 s)")
                echo(f"[{TARGET}] {record['notes'][-1]}")
                break
        needed = size + profile.member_pool
        if len(ids) < needed:
            started = time.monotonic()
            _seed(conn, ids, needed, started + profile.reference_seed_seconds)
            record["seeding"].append({"users": len(ids),
                                      "seconds": round(time.monotonic() - started, 1)})
        if len(ids) < needed:
            record["notes"].append(f"scim2-server: no group of {size:,} members: only "
                                   f"{len(ids):,} users could be seeded within the budget")
            echo(f"[{TARGET}] {record['notes'][-1]}")
            break
        pool = ids[size:needed]
        started = time.monotonic()
        status, data = conn.request("POST", f"/_bench/group?size={size}")
        if status != 200:
            raise RuntimeError(f"scim2-server group seeding failed: {status} {data[:300]!r}")
        gid = str(json.loads(data))
        seconds = round(time.monotonic() - started, 1)
        record["seeding"].append({"group_members": size, "seconds": seconds})
        echo(f"[{TARGET}] group of {size} seeded in {seconds} s")
        measured = run_membership(driver, profile, gid, size, pool, labels, record["notes"])
        results += measured
        adds = [r for r in measured if r["kind"] == "add 1" and r.get("p50_ms")]
        if adds:
            last = (size, adds[0]["p50_ms"])


def _seed(conn: Connection, ids: list[str], scale: int, deadline: float) -> bool:
    """Seed users up to `scale` through the reference's storage; ids are appended in order."""
    while len(ids) < scale:
        if time.monotonic() > deadline:
            return False
        start, stop = len(ids), min(scale, len(ids) + SEED_BATCH)
        status, data = conn.request("POST", f"/_bench/users?start={start}&stop={stop}")
        if status != 200:
            raise RuntimeError(f"scim2-server seeding failed: {status} {data[:300]!r}")
        ids.extend(json.loads(data))
    return True
