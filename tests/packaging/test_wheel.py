"""A normal (non-editable) install carries everything it needs (issue 17, finding 1).

`pip install .` used to leave `migrations/` and `schemas/` behind, so `db upgrade` failed
with "Path doesn't exist: …/site-packages/migrations". This builds the wheel, installs it
into a fresh venv, and runs the operator's path from a folder outside the source tree.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(bin_dir: Path, *args: str, env: dict[str, str], cwd: Path) -> str:
    answer = subprocess.run([str(bin_dir / "scim-server"), *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    return answer.stdout


def _environment(database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SCIM_", "PYTHON"))}
    env["SCIM_DATABASE_URL"] = database_url
    return env


def test_the_wheel_carries_schemas_migrations_and_templates(installed_wheel: Path) -> None:
    python = installed_wheel / "python"
    probe = subprocess.run(
        [str(python), "-c", "import scim_server, scim_server.resources as r;"
         "print(scim_server.__file__); print(r.data_dir('schemas')); "
         "print(r.data_dir('migrations'))"],
        capture_output=True, text=True, check=True, cwd="/", timeout=60,
        env=_environment("sqlite://"))
    module, schemas, migrations = probe.stdout.split()
    venv_root = str(installed_wheel.parent)
    assert module.startswith(venv_root), "the installed copy must be the one imported"
    assert schemas.startswith(venv_root) and Path(schemas, "User.json").is_file()
    assert migrations.startswith(venv_root) and Path(migrations, "env.py").is_file()
    assert any(Path(migrations, "versions").glob("*.py"))


def test_installed_wheel_migrates_and_serves(installed_wheel: Path, empty_database_url: str,
                                             tmp_path: Path) -> None:
    env = _environment(empty_database_url)
    applied = _run(installed_wheel, "db", "upgrade", env=env, cwd=tmp_path)
    assert "applied" in applied.lower(), applied
    tenant = json.loads(_run(installed_wheel, "bootstrap", "--org", "Wheel Org", "--directory",
                             "Wheel directory", "--json", env=env, cwd=tmp_path))
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([str(installed_wheel / "scim-server"), "serve", "--port", str(port)],
                              env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            time.sleep(0.3)
        else:
            raise AssertionError((tmp_path / "server.log").read_text())
        headers = {"Authorization": f"Bearer {tenant['scim_token']}"}
        schemas = requests.get(base + tenant["scim_path"] + "/Schemas", headers=headers,
                               timeout=10)
        assert schemas.status_code == 200
        ids = {resource["id"] for resource in schemas.json()["Resources"]}
        assert "urn:ietf:params:scim:schemas:core:2.0:User" in ids  # RFC 7643 §8.7.1
        created = requests.post(base + tenant["scim_path"] + "/Users", headers=headers,
                                json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                      "userName": "wheel@example.com"}, timeout=10)
        assert created.status_code == 201, created.text
        page = requests.get(base + "/invitations/accept?token=scimsrv_inv_unknown", timeout=10)
        assert page.headers["Content-Type"].startswith("text/html")  # templates travelled
    finally:
        server.terminate()
        server.wait(timeout=40)
        log.close()
