"""Fixtures for the operations tests: sibling apps with their own settings, real servers
(`scim-server serve` in a subprocess, loopback only) and a TCP proxy that can be stopped."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask

import scim_server
from scim_server import Config, create_app, db

REDIS_URL = os.environ.get("SCIM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def make_ops_app(app: Flask, database_url: str) -> Iterator[Callable[..., Flask]]:
    """Factory: an app on the current test database with its own settings (`**overrides`)."""
    made: list[Flask] = []

    def _make(**overrides: Any) -> Flask:
        settings: dict[str, Any] = {"database_url": database_url, "testing": True,
                                    "public_url": "http://scim.test", "smtp_url": None,
                                    "redis_url": None}
        settings.update(overrides)
        made.append(create_app(Config.from_env(**settings)))
        return made[-1]

    yield _make
    for other in made:
        other.extensions[db.EXTENSION_KEY][0].dispose()


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@dataclass
class ServerProcess:
    """`scim-server serve` running in a subprocess; its output goes to a file."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def request_lines(self) -> list[dict[str, Any]]:
        """The JSON request log lines written so far."""
        lines = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "scim_server.requests":
                    lines.append(entry)
        return lines

    def wait_until_ready(self, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"server did not start in {timeout}s:\n{self.output()}")

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 40.0) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"server did not stop in {timeout}s:\n{self.output()}")


@pytest.fixture
def start_server(app: Flask, database_url: str, tmp_path: Path
                 ) -> Iterator[Callable[..., ServerProcess]]:
    """Factory: `start_server("--workers", "2", env={...})` serves the test database."""
    started: list[ServerProcess] = []

    def _start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        port = free_port()
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("SCIM_") and key != "PROMETHEUS_MULTIPROC_DIR"}
        # The server imports the code under test, whatever else is installed elsewhere.
        source_root = str(Path(scim_server.__file__).resolve().parent.parent)
        environment.update({"SCIM_DATABASE_URL": database_url, "SCIM_RATE_LIMIT_ENABLED": "0",
                            "PYTHONUNBUFFERED": "1", "PYTHONPATH": source_root})
        environment.update(env or {})
        log_path = tmp_path / f"server-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", "from scim_server.cli import main; main()", "serve",
                 "--port", str(port), *args],
                env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        server = ServerProcess(process, port, log_path)
        started.append(server)
        server.wait_until_ready()
        return server

    yield _start
    for server in started:
        server.terminate()
        if server.process.poll() is None:
            try:
                server.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=10)


@dataclass
class TcpProxy:
    """Forwards a loopback port to another; `stop()` drops the listener and every connection."""

    target_port: int
    port: int = field(default_factory=free_port)
    _listener: socket.socket | None = None
    _sockets: list[socket.socket] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _running: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.1)
        self._listener = listener
        self._running.set()
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        self._running.clear()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pumps blocked in recv
            except OSError:
                pass
            sock.close()
        self._sockets.clear()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        if target == self._accept_loop:
            self._threads.append(thread)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while self._running.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            upstream.settimeout(None)
            client.settimeout(None)
            self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
