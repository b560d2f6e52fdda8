"""Clients that trickle their headers do not deny service (issue 11, finding 5).

The README's production command, `scim-server serve --workers 2`, keeps answering fresh
connections quickly (p95 under 1 s) while 50 other connections send their request
headers a byte at a time. Before, 8 threads (2 workers × 4) were all held by tricklers.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Callable, Iterator

import pytest
import requests

from conftest import Tenant
from .conftest import ServerProcess, percentile

TRICKLERS = 50
PROBES = 12
PROBE_TIMEOUT = 5.0


class Tricklers:
    """`count` connections that each send a request line, then one header byte at a
    time, never finishing, until stopped (one thread drives them all)."""

    def __init__(self, port: int, count: int, every: float = 0.3):
        self.port, self.count, self.every = port, count, every
        self.sockets: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Tricklers":
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)
        self.thread.start()
        return self

    def _run(self) -> None:
        header = b"X-Slow: " + b"a" * 10_000
        position = 0
        while not self.stopped.wait(self.every):
            for sock in self.sockets:
                try:
                    sock.send(header[position:position + 1])
                except OSError:
                    pass
            position = (position + 1) % len(header)

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()

    def still_open(self) -> int:
        """How many trickling connections the server has not closed."""
        alive = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                alive += sock.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
            sock.setblocking(True)
        return alive


def probe(url: str, headers: dict[str, str]) -> float:
    """One request on a fresh connection: its latency (the timeout when unanswered)."""
    started = time.monotonic()
    try:
        with requests.Session() as fresh:
            answer = fresh.get(url, headers={**headers, "Connection": "close"},
                               timeout=PROBE_TIMEOUT)
        assert answer.status_code == 200, answer.text
    except requests.RequestException:
        return PROBE_TIMEOUT
    return time.monotonic() - started


@pytest.fixture
def server(backend: str, start_server: Callable[..., ServerProcess]) -> Iterator[ServerProcess]:
    if backend != "sqlite":
        pytest.skip("the HTTP front is the same on both backends")
    yield start_server("--workers", "2")


def test_fresh_requests_stay_fast_while_50_clients_trickle_headers(
        server: ServerProcess, tenant: Tenant) -> None:
    url = f"{server.base_url}{tenant.scim_base}/Users"
    headers = {"Authorization": f"Bearer {tenant.scim_token}"}
    calm = [probe(url, headers) for _ in range(3)]
    with Tricklers(server.port, TRICKLERS) as tricklers:
        time.sleep(1.0)  # every trickler has reached a worker
        latencies = [probe(url, headers) for _ in range(PROBES)]
        open_tricklers = tricklers.still_open()
    p95 = percentile(latencies, 0.95)
    print(f"\nslow clients: {TRICKLERS} trickling, p95 of {PROBES} fresh requests "
          f"{p95:.3f} s (max {max(latencies):.3f} s; calm p95 {percentile(calm, 0.95):.3f} s)")
    assert open_tricklers == TRICKLERS  # they were still trickling while we measured
    assert p95 < 1.0


def test_slow_bodies_do_not_hold_threads_and_every_request_shape_still_works(
        server: ServerProcess, tenant: Tenant) -> None:
    base = f"{server.base_url}{tenant.scim_base}"
    headers = {"Authorization": f"Bearer {tenant.scim_token}",
               "Content-Type": "application/scim+json"}
    user = (b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], '
            b'"userName": "%s"}')
    # 20 clients announce a body and send it a byte at a time
    slow = []
    for n in range(20):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        body = user % f"slow{n}".encode()
        sock.sendall(f"POST {tenant.scim_base}/Users HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {tenant.scim_token}\r\n"
                     f"Content-Type: application/scim+json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:5])
        slow.append((sock, body))
    try:
        latencies = [probe(base + "/Users", headers) for _ in range(6)]
        assert max(latencies) < 1.0, latencies
        with requests.Session() as kept:  # keep-alive: several requests on one connection
            for n in range(3):
                made = kept.post(base + "/Users", data=user % f"kept{n}".encode(),
                                 headers=headers, timeout=10)
                assert made.status_code == 201, made.text
        whole = user % b"chunked"
        chunked = requests.post(base + "/Users", data=iter([whole[:10], whole[10:]]),
                                headers=headers, timeout=10)  # Transfer-Encoding: chunked
        assert chunked.status_code == 201, chunked.text
        expect = requests.post(base + "/Users", data=user % b"expecting", timeout=10,
                               headers={**headers, "Expect": "100-continue"})
        assert expect.status_code == 201, expect.text
        # a slow body finished late is still served whole
        sock, body = slow[0]
        sock.sendall(body[5:])
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
    finally:
        for sock, _body in slow:
            sock.close()
