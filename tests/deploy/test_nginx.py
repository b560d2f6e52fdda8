"""The shipped nginx configuration, run as it is in front of a real server (issue 17, 5).

Only the addresses, certificate and log paths are rewritten to this test's; every
directive an operator relies on (TLS, forwarded headers, body limit, /metrics closed,
buffering of slow clients, access logs without secrets) is the shipped file's own.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import requests

from scim_server.resources import PROJECT_ROOT
from tests.ops.conftest import free_port

SHIPPED = PROJECT_ROOT / "deploy" / "nginx" / "scim-server.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Proxy:
    https: str
    http: str
    access_log: Path
    cert: Path


def _nginx_or_skip() -> None:
    if Path(NGINX).exists():
        return
    message = "nginx is not installed: the reverse-proxy tests are NOT running"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " and CI=true requires them (scripts/test installs nginx)")
    pytest.skip(message)


def _rewrite(shipped: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in shipped, f"the shipped config no longer has {old!r}"
        shipped = shipped.replace(old, new)
    return shipped


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nginx did not listen:\n{log.read_text()}")


@pytest.fixture
def proxy(start_server, backend: str, tmp_path: Path) -> Iterator[tuple[Proxy, object]]:
    if backend != "sqlite":
        pytest.skip("the proxy does not care which database serves; one leg is enough")
    _nginx_or_skip()
    server = start_server(env={"SCIM_TRUST_FORWARDED_HEADERS": "1",
                               "SCIM_FORWARDED_PROXY_COUNT": "1"})
    cert, key = _certificate(tmp_path)
    https_port, http_port = free_port(), free_port()
    access_log = tmp_path / "access.log"
    site = _rewrite(SHIPPED.read_text(), {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{server.port};",
        "    listen 80;\n    listen [::]:80;\n": f"    listen 127.0.0.1:{http_port};\n",
        "    listen 443 ssl http2;": f"    listen 127.0.0.1:{https_port} ssl http2;",
        "    listen [::]:443 ssl http2;\n": "",
        "/etc/ssl/scim-server/fullchain.pem": str(cert),
        "/etc/ssl/scim-server/privkey.pem": str(key),
        "/var/log/nginx/scim-server.access.log": str(access_log),
    })
    (tmp_path / "site.conf").write_text(site)
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    error_log = tmp_path / "error.log"
    with error_log.open("ab") as errors:
        nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c",
                                  str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=errors)
    try:
        _wait_for_port(https_port, nginx, error_log)
        yield Proxy(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}",
                    access_log, cert), server
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)


@pytest.fixture
def tenant_via_cli(database_url: str) -> dict[str, str]:
    from click.testing import CliRunner

    from scim_server.cli import main

    result = CliRunner().invoke(main, ["bootstrap", "--org", "Proxy", "--directory", "D",
                                       "--json"], env={"SCIM_DATABASE_URL": database_url},
                                catch_exceptions=False)
    return json.loads(result.output)


def test_scim_over_tls_with_forwarded_headers_the_server_trusts(proxy, tenant_via_cli):
    front, server = proxy
    headers = {"Authorization": f"Bearer {tenant_via_cli['scim_token']}",
               "X-Forwarded-For": "203.0.113.9"}  # a client's attempt to pass as another
    answer = requests.get(front.https + tenant_via_cli["scim_path"] + "/Users",
                          headers=headers, verify=str(front.cert), timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    logged = [line for line in server.request_lines() if line["route"].endswith("/Users")]
    assert logged, server.output()
    assert logged[-1]["remote_addr"] == "127.0.0.1"  # nginx's view, not the spoofed hop
    time.sleep(0.2)  # nginx writes its access log line after the response
    assert f"request_id={logged[-1]['request_id']}" in front.access_log.read_text()


def test_plain_http_is_redirected_to_https_keeping_the_method(proxy):
    front, _server = proxy
    answer = requests.post(front.http + "/scim/v2/directories/x/Users", json={},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 308
    assert answer.headers["Location"].startswith("https://")


def test_metrics_are_closed_at_the_proxy(proxy):
    front, server = proxy
    assert requests.get(front.https + "/metrics", verify=str(front.cert),
                        timeout=10).status_code == 403
    assert requests.get(server.base_url + "/metrics", timeout=10).status_code == 200  # loopback


def test_oversized_bodies_stop_at_the_proxy(proxy, tenant_via_cli):
    front, server = proxy
    body = b"{" + b" " * (7 * 1024 * 1024) + b"}"
    answer = requests.post(front.https + tenant_via_cli["scim_path"] + "/Users", data=body,
                           headers={"Content-Type": "application/scim+json",
                                    "Authorization": f"Bearer {tenant_via_cli['scim_token']}"},
                           verify=str(front.cert), timeout=30)
    assert answer.status_code == 413
    assert not [line for line in server.request_lines() if line.get("status") == 413]


def test_access_log_keeps_paths_but_not_secrets_in_query_strings(proxy, tenant_via_cli):
    front, _server = proxy
    secret = "scimsrv_inv_" + "s3cr3t" * 6
    requests.get(front.https + f"/invitations/accept?token={secret}", verify=str(front.cert),
                 timeout=10)
    requests.get(front.https + tenant_via_cli["scim_path"] + '/Users?filter=userName eq "ann"',
                 headers={"Authorization": f"Bearer {tenant_via_cli['scim_token']}"},
                 verify=str(front.cert), timeout=10)
    time.sleep(0.2)
    log = front.access_log.read_text()
    assert "/invitations/accept" in log and secret not in log and "token=" not in log
    assert "filter=userName" in log  # API query strings carry no secrets and help debugging
    assert tenant_via_cli["scim_token"] not in log


def test_slow_clients_wait_in_the_proxy_not_in_the_server(proxy, tenant_via_cli):
    """60 connections trickle their headers; the server still answers everyone else at once."""
    front, _server = proxy
    host, port = front.https.removeprefix("https://").split(":")
    trickling = []
    for _ in range(60):
        conn = socket.create_connection((host, int(port)), timeout=5)
        trickling.append(conn)  # TLS never even completes: nginx holds them, not a worker
    try:
        timings = []
        for _ in range(10):
            started = time.monotonic()
            answer = requests.get(front.https + "/healthz", verify=str(front.cert), timeout=10)
            timings.append(time.monotonic() - started)
            assert answer.status_code == 200
        assert sorted(timings)[-1] < 1.0, timings
    finally:
        for conn in trickling:
            conn.close()
