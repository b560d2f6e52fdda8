"""A rolling upgrade under load, with no failed request (issue 17, finding 2).

Version N serves from two processes while a newer version's expand migration lands on the
shared PostgreSQL database; N stays ready (the database is ahead, not behind), then each
process is replaced in turn — the way a load balancer drains one instance at a time —
while clients keep creating and reading users. The replacement runs this same code, so
what is proven is the mechanism the release process relies on: readiness that tolerates
a database ahead, `serve` that does not choke on it, and graceful hand-over.
"""
from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from scim_server import Config, db, migrate
from scim_server.cli import main

EXPAND = '''"""Version N+1's expand step: a nullable column version N never reads or writes."""
from alembic import op
import sqlalchemy as sa

revision = "zz_rolling_expand"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("directory_users", sa.Column("newer_note", sa.Text(), nullable=True))


def downgrade():
    op.drop_column("directory_users", "newer_note")
'''
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def _apply_newer_migration(database_url: str, tmp_path: Path, monkeypatch) -> None:
    newer = tmp_path / "n-plus-1"
    shutil.copytree(migrate.MIGRATIONS_DIR, newer, ignore=shutil.ignore_patterns("__pycache__"))
    (head,) = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    (newer / "versions" / "zz_rolling_expand.py").write_text(EXPAND.format(head=head))
    engine = db.build_engine(Config.from_env(database_url=database_url))
    try:
        with monkeypatch.context() as patch:
            patch.setattr(migrate, "MIGRATIONS_DIR", newer)
            assert migrate.upgrade(engine).applied == ("zz_rolling_expand",)
        assert migrate.schema_state(engine) is migrate.SchemaState.AHEAD
    finally:
        engine.dispose()


def test_rolling_upgrade_under_load_loses_no_request(start_server, backend, empty_database_url,
                                                     tmp_path, monkeypatch):
    if backend != "postgresql":
        pytest.skip("several hosts share one PostgreSQL; SQLite serves one host")
    env = {"SCIM_DATABASE_URL": empty_database_url}
    tenant = json.loads(CliRunner().invoke(
        main, ["bootstrap", "--org", "Rolling", "--directory", "D", "--json"],
        env=env, catch_exceptions=False).output)
    headers = {"Authorization": f"Bearer {tenant['scim_token']}"}
    in_rotation = [start_server("--workers", "2", env=env) for _ in range(2)]
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    stop = threading.Event()
    numbers = itertools.count()
    lock = threading.Lock()

    def client() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                with lock:
                    number = next(numbers)
                    server = in_rotation[number % len(in_rotation)]
                base = server.base_url + tenant["scim_path"]
                try:
                    created = http.post(base + "/Users", headers=headers, timeout=30, json={
                        "schemas": [USER], "userName": f"user{number}@example.com"})
                    read = http.get(base + f"/Users/{created.json()['id']}", headers=headers,
                                    timeout=30) if created.status_code == 201 else created
                    for answer in (created, read):
                        outcomes[str(answer.status_code)] += 1
                        if answer.status_code >= 300:
                            failures.append(f"{answer.status_code} {answer.text[:200]}")
                except requests.RequestException as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        _apply_newer_migration(empty_database_url, tmp_path, monkeypatch)
        for server in list(in_rotation):  # version N stays in the pool with the newer schema
            ready = requests.get(server.base_url + "/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["schema"] == "ahead", ready.text
        time.sleep(1)
        for old in list(in_rotation):  # one instance at a time: add the new, drain the old
            new = start_server("--workers", "2", env=env)
            assert requests.get(new.base_url + "/readyz", timeout=10).status_code == 200
            with lock:
                in_rotation.append(new)
                in_rotation.remove(old)
            time.sleep(0.5)  # the balancer's drain: requests already sent to `old` finish
            old.terminate()
            assert old.wait() == 0
            time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == [], failures[:5]
    assert outcomes["201"] >= 20 and outcomes["200"] == outcomes["201"], outcomes
    print(f"\nrolling upgrade: {sum(outcomes.values())} requests, {len(failures)} failed")
