"""`scim-server serve`: production settings, metrics across workers, graceful shutdown."""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from scim_server.cli.serve import gunicorn_options, prepare_metrics_dir
from scim_server.models import DirectoryUser

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_gunicorn_settings_outlast_identity_providers():
    options = gunicorn_options("127.0.0.1", 8000, workers=3)
    assert options["timeout"] > 60  # identity providers give up after 60 s; we must not first
    assert options["keepalive"] > 60  # idle timeout of common load balancers
    assert options["graceful_timeout"] >= 30
    assert options["worker_class"] == "scim_server.cli.buffered_worker.BufferedThreadWorker"
    assert options["workers"] == 3
    assert options["forwarded_allow_ips"] == ""  # X-Forwarded-* only through the app's setting
    assert options["accesslog"] is None
    assert options["control_socket_disable"] is True  # two servers on one host must not clash
    assert gunicorn_options("::1", 8000, workers=1)["bind"] == "[::1]:8000"


def test_a_given_metrics_folder_is_emptied_of_stale_files(tmp_path, monkeypatch):
    stale = tmp_path / "counter_1234.db"
    stale.write_bytes(b"old")
    keep = tmp_path / "README"
    keep.write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert prepare_metrics_dir(workers=4) == str(tmp_path)
    assert not stale.exists() and keep.exists()


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Connection": "close", **(headers or {})})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _healthz_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (sample.name == "scim_server_http_requests_total"
                    and sample.labels.get("route") == "/healthz"):
                return sample.value
    return 0.0


def test_metrics_add_up_across_workers(start_server):
    server = start_server("--workers", "2")
    pids: set[int] = set()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _round in range(20):  # bounded: at most 160 requests
            answers = pool.map(lambda _: _get(server.port, "/healthz"), range(8))
            assert all(status == 200 for status, _ in answers)
            pids = {line["pid"] for line in server.request_lines() if line["route"] == "/healthz"}
            if len(pids) == 2:
                break
    assert len(pids) == 2, "both workers should have answered"
    answered = [line for line in server.request_lines() if line["route"] == "/healthz"]
    counts = set()
    for _ in range(6):  # whichever worker answers the scrape sees every worker's requests
        status, body = _get(server.port, "/metrics")
        assert status == 200
        counts.add(_healthz_count(body.decode()))
    assert counts == {float(len(answered))}
    readiness = _get(server.port, "/readyz")
    assert readiness[0] == 200
    assert "Control socket" not in server.output()


class SlowPost:
    """A SCIM create whose body arrives in two halves, so it is in flight while we wait."""

    def __init__(self, port: int, scim_path: str, token: str, user_name: str):
        body = json.dumps({"schemas": [USER_SCHEMA], "userName": user_name}).encode()
        self.user_name = user_name
        self._rest = body[len(body) // 2:]
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        head = (f"POST {scim_path}/Users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/scim+json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        self.sock.sendall(head + body[:len(body) // 2])

    def send_rest(self) -> None:
        self.sock.sendall(self._rest)

    def response(self) -> tuple[int, dict]:
        """The status and the parsed body, which must be complete."""
        raw = b""
        while chunk := self.sock.recv(65536):
            raw += chunk
        self.sock.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines
                      if line.lower().startswith("content-length:"))
        assert len(body) == length, f"truncated response: {len(body)} of {length} bytes"
        return int(lines[0].split()[1]), json.loads(body)


def _fast_request(port: int, path: str, token: str, request_id: str) -> str:
    """One request on its own connection: 'ok', 'not accepted' or what went wrong."""
    try:
        status, body = _get(port, path, {"Authorization": f"Bearer {token}",
                                         "X-Request-Id": request_id})
    except (ConnectionRefusedError, ConnectionResetError):
        return "not accepted"  # refused, or reset in the listen queue: never reached the app
    except Exception as exc:  # noqa: BLE001 - anything else is a request lost mid-way
        return f"lost: {type(exc).__name__}: {exc}"
    if status != 200:
        return f"status {status}"
    json.loads(body)
    return "ok"


def test_sigterm_under_load_loses_no_accepted_request(start_server, tenant, db_session):
    server = start_server("--workers", "2", "--threads", "4", "--graceful-timeout", "25")
    # First use records the token's last use (a write); later reads write nothing, so on
    # SQLite they do not queue behind the slow writers below.
    assert _fast_request(server.port, f"{tenant.scim_base}/Users?count=1", tenant.scim_token,
                         "warm-up") == "ok"
    slow = [SlowPost(server.port, tenant.scim_base, tenant.scim_token, f"slow{n}@example.com")
            for n in range(5)]
    outcomes: dict[str, str] = {}
    stop = threading.Event()

    def load(thread_number: int) -> None:
        for n in range(150):  # bounded
            if stop.is_set():
                return
            request_id = f"load-{thread_number}-{n}"
            outcomes[request_id] = _fast_request(
                server.port, f"{tenant.scim_base}/Users?count=1", tenant.scim_token, request_id)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the slow requests are accepted and waiting for their bodies
    server.terminate()
    time.sleep(1.0)  # the stop is under way: workers no longer accept
    for request in slow:  # all at once: on SQLite they queue for the write lock in any order
        request.send_rest()
    results = [request.response() for request in slow]
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert server.wait(timeout=40) == 0, server.output()
    assert [status for status, _ in results] == [201] * 5, results
    assert {body["userName"] for _, body in results} == {r.user_name for r in slow}
    problems = [o for o in outcomes.values() if o not in ("ok", "not accepted")]
    assert not problems, problems
    assert "ok" in outcomes.values()  # the load did run beside the shutdown
    # Every request the application saw was answered in full, and no other reached it.
    seen = [line["request_id"] for line in server.request_lines()
            if line["request_id"].startswith("load-")]
    assert sorted(seen) == sorted(k for k, v in outcomes.items() if v == "ok")
    stored = db_session.scalar(select(func.count()).select_from(DirectoryUser)
                               .where(DirectoryUser.directory_id == tenant.directory_id))
    assert stored == 5
