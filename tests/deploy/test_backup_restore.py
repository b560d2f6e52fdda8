"""Backups that restore into a serving server (issue 17, finding 4).

SQLite: `scim-server db backup --to FILE` while the server runs; PostgreSQL: the
pg_dump/pg_restore commands docs/operations.md gives, run here verbatim.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scim_server.cli import main

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def _seed(start_server, env: dict[str, str]) -> tuple[dict, str, object]:
    tenant = json.loads(CliRunner().invoke(main, ["bootstrap", "--org", "Backup", "--directory",
                                                  "D", "--json"], env=env,
                                           catch_exceptions=False).output)
    server = start_server(env=env)
    created = requests.post(server.base_url + tenant["scim_path"] + "/Users", timeout=10,
                            headers={"Authorization": f"Bearer {tenant['scim_token']}"},
                            json={"schemas": [USER], "userName": "kept@example.com"})
    assert created.status_code == 201, created.text
    return tenant, created.json()["id"], server


def _serves_the_user(start_server, env: dict[str, str], tenant: dict, user_id: str) -> None:
    restored = start_server(env=env)
    answer = requests.get(restored.base_url + tenant["scim_path"] + f"/Users/{user_id}",
                          headers={"Authorization": f"Bearer {tenant['scim_token']}"},
                          timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["userName"] == "kept@example.com"
    assert requests.get(restored.base_url + "/readyz", timeout=10).status_code == 200


def test_sqlite_online_backup_restores_and_serves(start_server, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("PostgreSQL: pg_dump, below")
    live = tmp_path / "live.sqlite3"
    env = {"SCIM_DATABASE_URL": f"sqlite:///{live}"}
    tenant, user_id, _server = _seed(start_server, env)
    copy = tmp_path / "backup.sqlite3"
    result = CliRunner().invoke(main, ["db", "backup", "--to", str(copy)], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0 and "copied" in result.output, result.output
    again = CliRunner().invoke(main, ["db", "backup", "--to", str(copy)], env=env)
    assert again.exit_code != 0 and "exists" in again.output  # never overwrites a backup
    restored = tmp_path / "restored" / "scim.sqlite3"
    restored.parent.mkdir()
    shutil.copy(copy, restored)
    _serves_the_user(start_server, {"SCIM_DATABASE_URL": f"sqlite:///{restored}"}, tenant,
                     user_id)


def test_postgresql_dump_restores_and_serves(start_server, backend, empty_database_url,
                                             tmp_path):
    if backend != "postgresql":
        pytest.skip("SQLite: db backup, above")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is missing (Debian's postgresql-client)")
    env = {"SCIM_DATABASE_URL": empty_database_url}
    tenant, user_id, _server = _seed(start_server, env)
    libpq_url = empty_database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    dump = tmp_path / "scim.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq_url], check=True,
                   timeout=120)
    name = f"scim_restored_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(empty_database_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    restored_url = make_url(libpq_url).set(database=name).render_as_string(hide_password=False)
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored_url}", str(dump)],
                       check=True, timeout=120, env={**os.environ})
        _serves_the_user(start_server, {"SCIM_DATABASE_URL": restored_url}, tenant, user_id)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
