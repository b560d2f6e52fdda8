"""docs/guide.md, acted out: every example runs against a live `scim-server serve` started
the way the guide says (quickstart's export lines, default settings), and every answer
is checked, so the guide cannot rot."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

import scim_server
from tests.ops.conftest import free_port

from .guide_runner import Runner, clean_env, examples

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide.md"
SOURCE_ROOT = str(Path(scim_server.__file__).resolve().parent.parent)
CLI = [sys.executable, "-c", "from scim_server.cli import main; main()"]


@pytest.fixture
def live(app, database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Quickstart's credentials in a shell environment, and a server on their port."""
    port = free_port()
    env = {**clean_env(), "SCIM_DATABASE_URL": database_url, "PYTHONPATH": SOURCE_ROOT,
           "PYTHONUNBUFFERED": "1"}
    lines = subprocess.run([*CLI, "quickstart", "--print-env", "--port", str(port)], env=env,
                           cwd=tmp_path, capture_output=True, text=True, check=True,
                           timeout=120).stdout
    for line in lines.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'")
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{env['BASE_URL']}/healthz", timeout=2):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "server.log").read_text()
                time.sleep(0.2)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def test_the_guide_has_an_example_for_every_endpoint_group():
    text = GUIDE.read_text()
    for group in ("/sites", "/products", "/grants/", "/licences", "/users", "/groups",
                  "/invitations", "/access-requests", "/domains", "/signup", "/activity",
                  "/inactive-users", "/admin-keys", "/audit-log", "/outbox", "/directories",
                  "/user-interests", "/Users", "/Groups", "/admin/v1/docs"):
        assert f"{group}" in text, f"the guide shows no {group} request"
    assert len([e for e in examples(text) if e.answer_kind == "http"]) >= 40


def test_every_example_in_the_guide_answers_as_shown(live, tmp_path):
    runner = Runner(live)
    ran = [runner.run(example, tmp_path) for example in examples(GUIDE.read_text())]
    assert len(ran) >= 40
