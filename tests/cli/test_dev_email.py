"""Development email (`SCIM_SMTP_URL=console:`, `outbox show`) and commands that need a
migrated database refusing cleanly."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import scim_server
from scim_server.cli import main
from scim_server.models import OutboxMessage

SOURCE_ROOT = str(Path(scim_server.__file__).resolve().parent.parent)
LINK = re.compile(r"http://scim\.test/invitations/accept\?token=(\S+)")


@pytest.fixture
def cli(database_url, app, monkeypatch):
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    monkeypatch.setenv("SCIM_PUBLIC_URL", "http://scim.test")
    return CliRunner()


def invite(client, tenant, email: str) -> None:
    answer = client.post(f"{tenant.admin_base}/invitations", headers=tenant.admin_headers,
                         json={"emails": [email]})
    assert answer.status_code in (200, 201, 207), answer.get_json()


def test_console_delivery_prints_the_link_and_the_link_accepts(cli, client, tenant,
                                                              monkeypatch, db_session):
    invite(client, tenant, "newcomer@example.com")
    monkeypatch.setenv("SCIM_SMTP_URL", "console:")
    result = cli.invoke(main, ["outbox", "send", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "To: newcomer@example.com" in result.output
    token = LINK.search(result.output).group(1)
    assert '"sent": 1' in result.output
    message = db_session.scalars(select(OutboxMessage)).one()
    assert message.status == "sent" and message.sent_at is not None
    accepted = client.post("/invitations/accept", json={"token": token})
    assert accepted.status_code == 200, accepted.get_json()


def test_outbox_show_prints_queued_emails_with_their_links(cli, client, tenant):
    invite(client, tenant, "reader@example.com")
    result = cli.invoke(main, ["outbox", "show", "--to", "READER@example.com"],
                        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "[queued]" in result.output and "To: reader@example.com" in result.output
    assert LINK.search(result.output)
    empty = cli.invoke(main, ["outbox", "show", "--status", "dead"])
    assert empty.exit_code == 0 and "no emails" in empty.output


def run_elsewhere(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    """A command started in an empty folder, with no SCIM_DATABASE_URL."""
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": SOURCE_ROOT, **(env or {})}
    return subprocess.run([sys.executable, "-c", "from scim_server.cli import main; main()",
                           *args], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args", [
    ("outbox", "send", "--once"), ("outbox", "show"),
    ("token", "create", "--directory", "x"), ("admin-key", "create", "--org", "x",
                                               "--scope", "org-admin"),
])
def test_commands_refuse_without_a_database_and_create_none(tmp_path, args):
    answer = run_elsewhere(tmp_path, *args, env={"SCIM_SMTP_URL": "smtp://127.0.0.1:9"})
    assert answer.returncode != 0
    assert f"no database at {tmp_path / 'scim-server.sqlite3'}" in answer.stderr
    assert "scim-server db upgrade" in answer.stderr and "SCIM_DATABASE_URL" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unmigrated_database_is_named_too(tmp_path):
    (tmp_path / "scim-server.sqlite3").write_bytes(b"")
    answer = run_elsewhere(tmp_path, "outbox", "show")
    assert answer.returncode != 0 and "not migrated" in answer.stderr
    assert "Traceback" not in answer.stderr


def test_a_malformed_setting_is_named_without_a_traceback(tmp_path):
    answer = run_elsewhere(tmp_path, "outbox", "show", env={"SCIM_MAX_PAGE_SIZE": "lots"})
    assert answer.returncode != 0 and "SCIM_MAX_PAGE_SIZE" in answer.stderr
    assert "Traceback" not in answer.stderr
