"""Start and stop the servers a benchmark run drives, each on its own loopback port.

Every server is a child process of the run, started as users start it and stopped by
its own pid; logs go to the run's output folder.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HOST = "127.0.0.1"
#: The server's settings for a benchmark: production defaults, except the per-token rate
#: limit (50 requests/s), which would measure the limiter instead of the server.
SERVER_SETTINGS = {"SCIM_RATE_LIMIT_ENABLED": "false"}
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


ROOT = Path(__file__).resolve().parent.parent


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment for a child: this checkout first on PYTHONPATH, so the server that
    runs is the code the report names (`code_version`), not whatever copy of scim-server
    happens to be installed."""
    return {**os.environ, **extra,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def scim_server_command(*args: str) -> list[str]:
    """`scim-server ARGS`, through the console script when installed."""
    script = shutil.which("scim-server")
    if script:
        return [script, *args]
    return [sys.executable, "-c", "from scim_server.cli import main; main()", *args]


@dataclass
class ServerProcess:
    """A running server: its base URL and its process (the gunicorn arbiter)."""

    name: str
    base: str
    process: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGINT: gunicorn's quick shutdown; SIGKILL if it does not go within 20 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path,
                  headers: dict[str, str] | None = None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s; see {log}")


def _spawn(name: str, command: list[str], env: dict[str, str], out_dir: Path) -> tuple[
        subprocess.Popen[bytes], Path]:
    log = out_dir / f"{name}.log"
    handle = open(log, "ab")  # noqa: SIM115 - the child keeps it open
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT,
                               cwd=out_dir)
    handle.close()
    return process, log


def start_scim_server(database_url: str, workers: int, out_dir: Path) -> ServerProcess:
    """`scim-server serve --workers N`, as in production, on a fresh port."""
    port = free_port()
    env = checkout_env(**SERVER_SETTINGS, SCIM_DATABASE_URL=database_url,
                       SCIM_PUBLIC_URL=f"http://{HOST}:{port}")
    process, log = _spawn("scim-server", scim_server_command(
        "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)), env, out_dir)
    base = f"http://{HOST}:{port}"
    server = ServerProcess("scim-server", base, process, log)
    try:
        wait_until_up(base + "/healthz", process, log)
    except BaseException:
        server.stop()
        raise
    return server


def start_module_server(name: str, module: str, args: list[str], health_path: str,
                        out_dir: Path, headers: dict[str, str] | None = None,
                        env: dict[str, str] | None = None, command: tuple[str, ...] = (),
                        port: int | None = None) -> ServerProcess:
    """A server of this package (`bench.hello_app`, `bench.reference_server`, the peers):
    `python -m MODULE [COMMAND] --host --port ARGS`, with `env` added to the environment."""
    port = port or free_port()
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, **(env or {}),
           "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process, log = _spawn(name, [sys.executable, "-m", module, *command, "--host", HOST,
                                 "--port", str(port), *args], env, out_dir)
    base = f"http://{HOST}:{port}"
    server = ServerProcess(name, base, process, log)
    try:
        wait_until_up(base + health_path, process, log, headers)
    except BaseException:
        server.stop()
        raise
    return server


def bootstrap(database_url: str, org: str, directory: str, out_dir: Path) -> dict[str, Any]:
    """`scim-server bootstrap --json`: a tenant and its SCIM token."""
    env = checkout_env(SCIM_DATABASE_URL=database_url)
    done = subprocess.run(scim_server_command("bootstrap", "--org", org, "--directory",
                                              directory, "--json"),
                          env=env, cwd=out_dir, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"scim-server bootstrap failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def upgrade(database_url: str, out_dir: Path) -> None:
    env = checkout_env(SCIM_DATABASE_URL=database_url)
    done = subprocess.run(scim_server_command("db", "upgrade"), env=env, cwd=out_dir,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"scim-server db upgrade failed:\n{done.stderr[-3000:]}")


@contextmanager
def database(backend: str, out_dir: Path, postgres_admin_url: str = POSTGRES_ADMIN_URL
             ) -> Iterator[str]:
    """A fresh database for the run: a SQLite file, or `scim_bench_<random>` dropped after."""
    if backend == "sqlite":
        path = out_dir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    name = f"scim_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_admin_url).set(database=name)
        yield url.set(drivername="postgresql").render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
