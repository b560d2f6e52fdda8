"""The same scenarios against django-scim2 (a database-backed peer), on one backend.

Only the operations the comparison needs, in the forms django-scim2 implements: POST,
PUT and GET of `/Users/{id}`, `userName eq` (its filter maps no other attribute), and
PATCH add / remove of one member (removal in the `path: members` + `value` form: it
answers 501 to `members[value eq "…"]`). It announces no Bulk and no cursor. Users and
groups are seeded through its storage layer (`bench/peers/django_server.py`).
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from . import scenarios as sc
from . import servers
from .client import Connection
from .driver import Driver
from .procmem import MemoryMonitor
from .profiles import Profile

TARGET = "django-scim2"
MODULE = "bench.peers.django_server"
SEED_BATCH = 10_000
ROOT = Path(__file__).resolve().parent.parent


def run(backend: str, profile: Profile, workers: int, out_dir: Path,
        echo: Callable[[str], None] = print) -> dict[str, Any]:
    record: dict[str, Any] = {"target": TARGET, "backend": backend, "workers": workers,
                              "results": [], "seeding": [], "notes": []}
    peer_dir = out_dir / f"{TARGET}-{backend}"
    peer_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    with servers.database(backend, peer_dir) as url:
        port = servers.free_port()
        env = {"PEER_DATABASE_URL": url, "PEER_TOKEN": token,
               "PEER_NETLOC": f"{servers.HOST}:{port}"}
        _migrate(env)
        server = servers.start_module_server(TARGET, MODULE, ["--workers", str(workers)],
                                             "/scim/v2/ServiceProviderConfig", peer_dir,
                                             headers, env=env, command=("serve",), port=port)
        monitor = MemoryMonitor(server.pid).start()
        try:
            driver = Driver(server.base + "/scim/v2", headers, out_dir, f"{TARGET}-{backend}",
                            monitor, echo)
            _drive_all(record, profile, driver, Connection(server.base, headers), echo)
        finally:
            monitor.stop()
            server.stop()
            record["memory"] = monitor.report()
    return record


def _migrate(env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", MODULE, "migrate"], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"django-scim2 migrate failed:\n{done.stderr[-3000:]}")


def _drive_all(record: dict[str, Any], profile: Profile, driver: Driver, conn: Connection,
               echo: Callable[[str], None]) -> None:
    labels = {"target": TARGET, "backend": record["backend"]}
    record["capabilities"] = {"bulk": False, "cursor": False}
    results: list[dict[str, Any]] = record["results"]
    first = sc.SYNC_BASE
    for threads in profile.create_threads:
        limits = sc.Limits(profile.create_users, profile.max_seconds * 3, threads)
        results += driver.run([sc.create_users(first, limits, threads=threads, **labels)])
        first += profile.create_users
    ids: list[str] = []
    try:
        for scale in profile.user_scales:
            _seed(record, conn, ids, scale)
            limits = sc.Limits(profile.requests, profile.max_seconds, profile.threads)
            at = {**labels, "scale": scale, "threads": profile.threads}
            targets = [(i, ids[i]) for i in sc.sample(scale, profile.requests, seed=scale * 3)]
            results += driver.run([
                sc.lookup("userName eq", sc.sample(scale, profile.requests, seed=scale), limits,
                          **at),
                sc.get_users([ids[i] for i in sc.sample(scale, profile.requests, seed=7)],
                             limits, **at),
                sc.replace_users(targets, limits, **at)])
        for size in profile.group_sizes:
            _seed(record, conn, ids, size + profile.member_pool)
            status, data = conn.request("POST", "/_bench/group", {"members": ids[:size]})
            if status != 200:
                raise RuntimeError(f"django-scim2 group seeding failed: {status} {data[:300]!r}")
            results += _membership(driver, profile, str(json.loads(data)), size,
                                   ids[size:size + profile.member_pool], labels)
    finally:
        conn.close()


def _seed(record: dict[str, Any], conn: Connection, ids: list[str], scale: int) -> None:
    started = time.monotonic()
    added = max(0, scale - len(ids))
    while len(ids) < scale:
        start, stop = len(ids), min(scale, len(ids) + SEED_BATCH)
        status, data = conn.request("POST", f"/_bench/users?start={start}&stop={stop}")
        if status != 200:
            raise RuntimeError(f"django-scim2 seeding failed: {status} {data[:300]!r}")
        ids.extend(json.loads(data))
    if added:
        record["seeding"].append({"users": scale, "added": added,
                                  "seconds": round(time.monotonic() - started, 1)})


def _membership(driver: Driver, profile: Profile, gid: str, size: int, pool: list[str],
                labels: dict[str, Any]) -> list[dict[str, Any]]:
    """Add one member at a time, remove them again, GET the group (members excluded, which
    django-scim2 ignores: it always renders every member)."""
    at = {**labels, "size": size, "threads": 1}
    chunks = sc.batches(pool, 1, min(profile.requests, len(pool)))
    added = driver.run([sc.add_members(gid, chunks, sc.Limits(len(chunks),
                                                               profile.max_seconds, 1), **at)])
    done = added[0]["requests"] + added[0]["errors"]
    removed = driver.run([sc.remove_members(gid, chunks[:done],
                                            sc.Limits(done, profile.max_seconds * 2, 1),
                                            by_value=True, **at)]) if done else []
    reads = sc.Limits(profile.requests, profile.max_seconds, 1)
    return added + removed + driver.run([sc.get_group(gid, reads, exclude_members=True, **at)])
