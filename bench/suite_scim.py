"""The benchmark against scim-server itself, on one backend, served as in production."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from scim_server.config import Config
from scim_server.db import build_engine

from . import scenarios as sc
from . import seed, servers
from .driver import Driver, capabilities
from .procmem import MemoryMonitor
from .profiles import Profile

TARGET = "scim-server"


def run(backend: str, profile: Profile, workers: int, out_dir: Path,
        echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Seed, serve, drive every scenario; returns the run's section of the report."""
    record: dict[str, Any] = {"target": TARGET, "backend": backend, "workers": workers,
                              "results": [], "seeding": [], "notes": []}
    with servers.database(backend, out_dir) as url:
        servers.upgrade(url, out_dir)
        sync = servers.bootstrap(url, "Bench sync", "sync", out_dir)
        main = servers.bootstrap(url, "Bench", "main", out_dir)
        engine = build_engine(Config.from_env(database_url=url))
        server = servers.start_scim_server(url, workers, out_dir)
        monitor = MemoryMonitor(server.pid).start()
        try:
            _drive_all(record, profile, server.base, sync, main, engine, monitor, out_dir, echo)
        finally:
            monitor.stop()
            server.stop()
            record["memory"] = monitor.report()
        try:
            if backend == "sqlite":
                _lookups_after_analyze(record, profile, url, workers, main, engine, out_dir,
                                       echo)
        finally:
            engine.dispose()
    return record


def _headers(creds: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {creds['scim_token']}", "Accept": "application/scim+json"}


def _drive_all(record: dict[str, Any], profile: Profile, base: str, sync: dict[str, Any],
               main: dict[str, Any], engine: Any, monitor: MemoryMonitor, out_dir: Path,
               echo: Callable[[str], None]) -> None:
    labels = {"target": TARGET, "backend": record["backend"]}
    tag = f"{TARGET}-{record['backend']}"
    sync_driver = Driver(base + sync["scim_path"], _headers(sync), out_dir, tag + "-sync",
                         monitor, echo)
    driver = Driver(base + main["scim_path"], _headers(main), out_dir, tag, monitor, echo)
    caps = capabilities(driver)
    record["capabilities"] = caps
    results: list[dict[str, Any]] = record["results"]

    echo(f"[{tag}] initial sync: POST /Users")
    first = sc.SYNC_BASE
    for threads in profile.create_threads:
        limits = sc.Limits(profile.create_users, profile.max_seconds * 3, threads)
        results += sync_driver.run([sc.create_users(first, limits, threads=threads, **labels)])
        first += profile.create_users
    if caps["bulk"]:
        ops = min(profile.bulk_operations, caps["bulk_max_operations"] or profile.bulk_operations)
        limits = sc.Limits(profile.bulk_requests, profile.max_seconds * 10, 1)
        results += sync_driver.run([sc.bulk_create(first + 100_000, ops, limits, threads=1,
                                                   **labels)])
    else:
        record["notes"].append("Bulk: not available (ServiceProviderConfig bulk.supported "
                               "is false)")

    directory = main["directory_id"]
    seeded = 0
    for scale in profile.user_scales:
        started = time.perf_counter()
        seed.seed_users(engine, main["org_id"], directory, seeded, scale)
        seed.analyze(engine)
        seconds = round(time.perf_counter() - started, 1)
        record["seeding"].append({"users": scale, "added": scale - seeded, "seconds": seconds})
        echo(f"[{tag}] seeded {scale - seeded} users in {seconds} s (now {scale})")
        seeded = scale
        _per_scale(driver, profile, caps, scale, directory, results, labels)

    pool_start = max(profile.group_sizes)
    if pool_start + profile.member_pool > seeded:
        raise ValueError("the profile needs more users than its groups and member pool")
    pool = [seed.user_id(directory, i) for i in range(pool_start, pool_start + profile.member_pool)]
    groups = []
    for size in profile.group_sizes:
        started = time.perf_counter()
        gid = seed.seed_group(engine, main["org_id"], directory, f"Bench group {size}",
                              (seed.user_id(directory, i) for i in range(size)))
        groups.append((size, gid))
        record["seeding"].append({"group_members": size,
                                  "seconds": round(time.perf_counter() - started, 1)})
    seed.analyze(engine)
    echo(f"[{tag}] groups seeded: {[s for s, _ in groups]}")
    for size, gid in groups:
        results += run_membership(driver, profile, gid, size, pool, labels, record["notes"])

def _lookups_after_analyze(record: dict[str, Any], profile: Profile, url: str, workers: int,
                           main: dict[str, Any], engine: Any, out_dir: Path,
                           echo: Callable[[str], None]) -> None:
    """The lookups again once SQLite has planner statistics, which the server never gathers:
    what finding 1 of docs/benchmarks.md would gain. SQLite reads statistics when a
    connection opens, so this runs on a freshly started server. The targets use the figures
    without it; the fresh server's workers count in the memory figures."""
    started = time.perf_counter()
    seed.analyze_sqlite(engine)
    seeded = max(profile.user_scales)
    record["notes"].append(f"lookups marked 'after ANALYZE' ran on a freshly started server "
                           f"once `ANALYZE` had gathered planner statistics "
                           f"({time.perf_counter() - started:.1f} s at {seeded:,} users; its "
                           "page cache starts cold); the targets use the figures without it")
    server = servers.start_scim_server(url, workers, out_dir)
    monitor = MemoryMonitor(server.pid).start()
    try:
        driver = Driver(server.base + main["scim_path"], _headers(main), out_dir,
                        f"{TARGET}-sqlite-analyzed", monitor, echo)
        limits = sc.Limits(profile.requests, profile.max_seconds, profile.threads)
        at = {"target": TARGET, "backend": "sqlite", "scale": seeded, "threads": profile.threads}
        record["results"] += driver.run([
            sc.lookup(kind, sc.sample(seeded, profile.requests, seed=n), limits,
                      variant=" (after ANALYZE)", **at) for n, kind in enumerate(sc.LOOKUPS)])
    finally:
        monitor.stop()
        server.stop()
        record["memory"] = merge_memory(record["memory"], monitor.report())


def merge_memory(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """One memory report for the workers of two server processes."""
    workers = {**first.get("workers", {}), **second.get("workers", {})}
    peaks = [w["peak_mb"] for w in workers.values()]
    return {"workers": workers, "max_worker_peak_mb": max(peaks) if peaks else None}


def _per_scale(driver: Driver, profile: Profile, caps: dict[str, Any], scale: int,
               directory: str, results: list[dict[str, Any]], labels: dict[str, Any]) -> None:
    limits = sc.Limits(profile.requests, profile.max_seconds, profile.threads)
    at = {**labels, "scale": scale, "threads": profile.threads}
    plan = [sc.lookup(kind, sc.sample(scale, profile.requests, seed=scale + n), limits, **at)
            for n, kind in enumerate(sc.LOOKUPS)]
    ids = [seed.user_id(directory, i) for i in sc.sample(scale, profile.requests, seed=7)]
    plan.append(sc.get_users(ids, limits, **at))
    page = min(100, scale)
    plan.append(sc.page_index(1, page, limits, "first page", **at))
    plan.append(sc.page_index(scale - page + 1, page, limits, "near the end", **at))
    walk_count = min(caps["max_page_size"], max(10, scale // 10))
    plan.append(sc.walk("index", walk_count, profile.walk_seconds, **at))
    if caps["cursor"]:
        plan.append(sc.walk("cursor", walk_count, profile.walk_seconds * 3,
                            keep_cursor_after=scale - walk_count, **at))
    targets = [(i, seed.user_id(directory, i))
               for i in sc.sample(scale, profile.requests, seed=scale * 3)]
    plan.append(sc.replace_users(targets, limits, **at))
    plan.append(sc.patch_users([uid for _, uid in targets], limits, **at))
    measured = driver.run(plan)
    results += measured
    if not caps["cursor"]:
        return
    walked = [r for r in measured if r.get("mode") == "cursor"]
    deep = walked[0].get("deep_cursor") if walked else None
    if deep:
        results += driver.run([
            sc.page_cursor("", page, limits, "first page", **at),
            sc.page_cursor(deep, page, limits, "near the end",
                           position=walked[0]["deep_cursor_position"], **at)])


#: A request the plan expects to take longer than this is skipped, not sent: gunicorn
#: kills a worker after 90 s, which would wipe an in-memory server's data.
REQUEST_BUDGET_MS = 30_000.0


def run_membership(driver: Driver, profile: Profile, gid: str, size: int, pool: list[str],
                   labels: dict[str, Any], notes: list[str] | None = None
                   ) -> list[dict[str, Any]]:
    """Add and remove one member, then 100; GET with and without members.

    Each removal undoes exactly the additions that ran, so the group keeps its size and
    no removal names a non-member. Removing 100 sends 100 operations in one request; it
    is skipped when 100 single removals would already exceed the request budget.
    """
    at = {**labels, "size": size, "threads": 1}
    results: list[dict[str, Any]] = []
    single_remove_ms: float | None = None
    for width, count in ((1, profile.requests), (100, max(1, profile.requests // 10))):
        chunks = sc.batches(pool, min(width, len(pool)), min(count, len(pool) // width or 1))
        limits = sc.Limits(len(chunks), profile.max_seconds, 1)
        added = driver.run([sc.add_members(gid, chunks, limits, **at)])
        done = added[0]["requests"] + added[0]["errors"]
        results += added
        if not done:
            continue
        if width > 1 and single_remove_ms and single_remove_ms * width > REQUEST_BUDGET_MS:
            if notes is not None:
                notes.append(f"{labels['target']}: 'remove {width}' on {size:,} members not "
                             f"run: {width} × {single_remove_ms:,.0f} ms per removal exceeds "
                             f"the {REQUEST_BUDGET_MS / 1000:.0f} s request budget")
            continue
        removed = driver.run([sc.remove_members(gid, chunks[:done],
                                                sc.Limits(done, profile.max_seconds * 2, 1),
                                                **at)])
        results += removed
        if width == 1:
            single_remove_ms = removed[0]["p50_ms"]
    reads = sc.Limits(profile.requests, profile.max_seconds, 1)
    full = sc.Limits(profile.group_get_requests, profile.max_seconds * 3, 1)
    results += driver.run([sc.get_group(gid, reads, exclude_members=True, **at),
                           sc.get_group(gid, full, exclude_members=False, **at)])
    return results
