"""Fixtures for the race tests: two real `scim-server serve` processes on one PostgreSQL
database, and threads released together by a barrier.

SQLite serialises writers (`BEGIN IMMEDIATE`), which hides lost updates; PostgreSQL is
the production store, so these races run there only. Servers are the operations suite's
`ServerProcess` (tests/ops/conftest.py), started once a run.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pytest
import requests
from flask import Flask

import scim_server

from tests.ops.conftest import ServerProcess, free_port

#: As an operator runs it: several workers a process, each with its own pool.
SERVER_ARGS = ("--workers", "2", "--threads", "8", "--graceful-timeout", "5")


@dataclass
class Servers:
    """Two server processes on the test database; `url(i)` alternates between them."""

    base_urls: list[str]

    def url(self, index: int) -> str:
        return self.base_urls[index % len(self.base_urls)]


@pytest.fixture(scope="session")
def _server_pair(database_url: str, _migrated_app: Flask,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two `scim-server serve` processes for the whole run (starting one takes seconds;
    every test makes its own tenant, so they share the servers, not the data)."""
    if not database_url.startswith("postgresql"):
        yield []
        return
    folder = tmp_path_factory.mktemp("race-servers")
    started = [_start(database_url, folder) for _ in range(2)]
    try:
        for server in started:
            server.wait_until_ready()
        yield [server.base_url for server in started]
    finally:
        for server in started:
            server.terminate()
        for server in started:
            server.wait()


def _start(database_url: str, folder: Path) -> ServerProcess:
    port = free_port()
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("SCIM_") and key != "PROMETHEUS_MULTIPROC_DIR"}
    source_root = str(Path(scim_server.__file__).resolve().parent.parent)
    environment.update({"SCIM_DATABASE_URL": database_url, "SCIM_RATE_LIMIT_ENABLED": "0",
                        "PYTHONUNBUFFERED": "1", "PYTHONPATH": source_root})
    log_path = folder / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from scim_server.cli import main; main()", "serve",
             "--port", str(port), *SERVER_ARGS],
            env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    return ServerProcess(process, port, log_path)


@pytest.fixture
def servers(backend: str, _server_pair: list[str]) -> Servers:
    if backend != "postgresql":
        pytest.skip("races are proven on PostgreSQL; SQLite serialises every writer")
    return Servers(_server_pair)


@pytest.fixture
def http() -> Iterator[Callable[[], requests.Session]]:
    """Factory of HTTP sessions (one per thread: `requests.Session` is not thread-safe)."""
    made: list[requests.Session] = []

    def _make() -> requests.Session:
        made.append(requests.Session())
        return made[-1]

    yield _make
    for session in made:
        session.close()


def race(calls: Sequence[Callable[[], Any]], timeout: float = 60.0) -> list[Any]:
    """Run every call on its own thread, all released at once by a barrier; results in order."""
    barrier = threading.Barrier(len(calls), timeout=timeout)

    def released(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(released, call) for call in calls]
        return [future.result(timeout=timeout) for future in futures]
