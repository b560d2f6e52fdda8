"""The per-request cost of provisioning-health recording, in one process, without HTTP.

Two apps on one fresh database, identical but for `health_recording`, answer the same
requests through Flask's test client in alternating blocks (so drift in machine load
hits both alike): `GET /Users/{id}`, `POST /Users` of new users, and `POST /Users` of a
taken userName (409). On a shared machine this isolates what the recording adds to a
request far better than throughput over HTTP (`bench/health_overhead.py`).

    python -m bench.health_inprocess --backend sqlite --rounds 10
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from flask import Flask

from scim_server import Config, create_app, db, migrate
from scim_server.services import tenancy
from scim_server.services.actors import Actor

from .servers import database

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
BLOCKS = {"GET /Users/{id}": 100, "POST /Users": 30, "POST /Users (409)": 30}


@contextmanager
def apps(backend: str, folder: Path) -> Iterator[dict[str, Flask]]:
    with database(backend, folder) as url:
        made = {mode: create_app(Config.from_env(
            database_url=url, rate_limit_enabled=False, log_level="WARNING",
            health_recording=mode == "on")) for mode in ("off", "on")}
        with made["off"].app_context():
            migrate.upgrade(db.engine())
        try:
            yield made
        finally:
            for app in made.values():
                app.extensions[db.EXTENSION_KEY][0].dispose()


def measure(backend: str, rounds: int) -> dict[str, dict[str, float]]:
    """Median milliseconds per request, by scenario and mode."""
    with tempfile.TemporaryDirectory(prefix="health-inproc-") as folder, \
            apps(backend, Path(folder)) as made:
        session = db.new_session(made["off"])
        org = tenancy.create_organization(session, "Bench", Actor.cli())
        directory = tenancy.create_directory(session, org, "D", "generic", Actor.cli())
        token = tenancy.issue_scim_token(session, directory, Actor.cli())
        session.commit()
        session.close()
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("scim_server").setLevel(logging.WARNING)
        headers = {"Authorization": f"Bearer {token.secret}"}
        base = f"/scim/v2/directories/{directory.id}/Users"
        taken = {"schemas": [CORE_USER], "userName": "taken"}
        user_id = made["off"].test_client().post(base, json=taken,
                                                 headers=headers).get_json()["id"]
        timings: dict[tuple[str, str], list[float]] = {}
        for number in range(rounds):
            for mode in (("off", "on") if number % 2 == 0 else ("on", "off")):
                client = made[mode].test_client()
                requests = {
                    "GET /Users/{id}": lambda: client.get(f"{base}/{user_id}", headers=headers),
                    "POST /Users": lambda: client.post(base, headers=headers, json={
                        "schemas": [CORE_USER], "userName": uuid.uuid4().hex}),
                    "POST /Users (409)": lambda: client.post(base, json=taken, headers=headers),
                }
                for kind, send in requests.items():
                    started = time.perf_counter()
                    for _ in range(BLOCKS[kind]):
                        assert send().status_code in (200, 201, 409)
                    elapsed = (time.perf_counter() - started) / BLOCKS[kind] * 1000
                    timings.setdefault((kind, mode), []).append(elapsed)
        return {kind: {mode: statistics.median(timings[(kind, mode)]) for mode in ("off", "on")}
                for kind in BLOCKS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    result = measure(args.backend, args.rounds)
    print(f"{args.backend}, {args.rounds} alternating rounds (median ms per request):")
    for kind, ms in result.items():
        change = ms["on"] - ms["off"]
        print(f"{kind:20} off {ms['off']:7.3f}  on {ms['on']:7.3f}  "
              f"{change:+7.3f} ms ({change / ms['off'] * 100:+.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
