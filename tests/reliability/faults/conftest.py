"""Fault fixtures: real server processes (from tests/ops), a TCP proxy that can go silent,
and slow clients."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import scim_server

from tests.ops.conftest import (ServerProcess, free_port, make_ops_app,  # noqa: F401
                                start_server)

__all__ = ["BlackholeProxy", "ServerProcess", "WorkerProcess", "percentile"]


@dataclass
class BlackholeProxy:
    """Forwards a loopback port to another; `blackhole()` stops forwarding in both ways
    WITHOUT closing anything (a silent partition, a hung pooler), `restore()` resumes."""

    target_port: int
    port: int = field(default_factory=free_port)
    _listener: socket.socket | None = None
    _sockets: list[socket.socket] = field(default_factory=list)
    _running: threading.Event = field(default_factory=threading.Event)
    _flowing: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._running.set()
        self._flowing.set()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def blackhole(self) -> None:
        self._flowing.clear()

    def restore(self) -> None:
        self._flowing.set()

    def stop(self) -> None:
        self._running.clear()
        self._flowing.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in list(self._sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._sockets.clear()

    def _accept_loop(self) -> None:
        while self._running.is_set():
            listener = self._listener
            if listener is None:
                return
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._sockets.append(client)
        self._wait_flowing()  # a connection opened during the partition hangs unanswered
        if not self._running.is_set():
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._sockets.append(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _wait_flowing(self) -> None:
        while self._running.is_set() and not self._flowing.wait(0.05):
            pass

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._wait_flowing()  # held, not dropped: TCP would retransmit it
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def blackhole_proxy() -> Iterator[Callable[[int], BlackholeProxy]]:
    made: list[BlackholeProxy] = []

    def _make(target_port: int) -> BlackholeProxy:
        proxy = BlackholeProxy(target_port)
        proxy.start()
        made.append(proxy)
        return proxy

    yield _make
    for proxy in made:
        proxy.stop()


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.95 for p95)."""
    ordered = sorted(values)
    rank = max(int(-(-share * len(ordered) // 1)), 1)
    return ordered[rank - 1]


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result



@dataclass
class WorkerProcess:
    """`scim-server worker` in a subprocess; its output goes to a file."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def start_worker(app: Any, database_url: str, tmp_path: Path
                 ) -> Iterator[Callable[..., WorkerProcess]]:
    """Factory: `start_worker("--once", env={...})` runs the worker on the test database."""
    started: list[WorkerProcess] = []

    def _start(*args: str, env: dict[str, str] | None = None) -> WorkerProcess:
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("SCIM_")}
        source_root = str(Path(scim_server.__file__).resolve().parent.parent)
        environment.update({"SCIM_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1",
                            "PYTHONPATH": source_root, **(env or {})})
        log_path = tmp_path / f"worker-{len(started)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", "from scim_server.cli import main; main()", "worker",
                 *args], env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        started.append(WorkerProcess(process, log_path))
        return started[-1]

    yield _start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=10)
