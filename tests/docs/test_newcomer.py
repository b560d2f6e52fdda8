"""The newcomer's path, timed: README's first command in a fresh venv from a clean clone,
README's "Try it" verbatim, then a conformance run (scim2-tester) against the server with
no setting changed. Needs network access to PyPI for the install."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```sh\n(.*?)^```$", re.M | re.S)


def readme_blocks() -> list[str]:
    return FENCE.findall((ROOT / "README.md").read_text())


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_readme_first_command_then_a_conformance_run_passes(tmp_path):
    scim2_tester = pytest.importorskip("scim2_tester")
    httpx2 = pytest.importorskip("httpx2")
    from scim2_client.engines.httpx2 import SyncSCIMClient

    clone, venv = tmp_path / "clone", tmp_path / "venv"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SCIM_", "PYTHON", "VIRTUAL_ENV", "PROMETHEUS"))}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    env["VIRTUAL_ENV"] = str(venv)
    first = readme_blocks()[0].splitlines()[0].split("#", 1)[0].strip()
    assert first.startswith("python3 -m pip install") and "scim-server quickstart" in first
    if not port_free(8000):  # another server on this machine: same command, another port
        first += " --port 18000"
    port = 18000 if first.endswith("18000") else 8000
    log = tmp_path / "quickstart.log"
    started = time.monotonic()
    with open(log, "wb") as output:
        server = subprocess.Popen(["bash", "-c", first], cwd=clone, env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server, log, timeout=1200)
        ready = time.monotonic() - started
        try_it = readme_blocks()[1]
        answer = subprocess.run(["bash", "-euc", try_it], cwd=clone, env=env,
                                capture_output=True, text=True, timeout=60)
        assert answer.returncode == 0, answer.stderr
        assert '"ListResponse"' in answer.stdout or "ListResponse" in answer.stdout
        assert '"data"' in answer.stdout  # the admin API's users list
        shell = dict(line.removeprefix("export ").split("=", 1)
                     for line in (clone / "scim-server.env").read_text().splitlines())
        token = shell["SCIM_TOKEN"].strip("'")
        with httpx2.Client(base_url=shell["SCIM_URL"].strip("'"),
                           headers={"Authorization": f"Bearer {token}"}) as http:
            conformance_started = time.monotonic()
            results = scim2_tester.check_server(SyncSCIMClient(http), raise_exceptions=False)
            conformance = time.monotonic() - conformance_started
        failures = [f"{r.title}: {r.reason}" for r in results
                    if r.status in (scim2_tester.Status.ERROR, scim2_tester.Status.CRITICAL)]
        assert results and not failures, "\n".join(failures)
        print(f"\nnewcomer path: install + quickstart ready in {ready:.0f} s; "
              f"'Try it' ok; scim2-tester {len(results)} checks, 0 failures, "
              f"{conformance:.1f} s")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        shutil.rmtree(venv, ignore_errors=True)
