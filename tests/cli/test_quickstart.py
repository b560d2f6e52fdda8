"""`scim-server quickstart`: the real URL, export lines a shell evaluates, one live pair."""
from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from scim_server.cli import main
from scim_server.models import Account


@pytest.fixture
def runner(database_url, app, monkeypatch, tmp_path):
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    monkeypatch.delenv("SCIM_PUBLIC_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def print_env(runner, *args: str) -> str:
    result = runner.invoke(main, ["quickstart", "--print-env", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def evaluated(lines: str) -> dict[str, str]:
    """What a POSIX shell holds after `eval "$(scim-server quickstart --print-env)"`."""
    script = 'eval "$LINES"; for n in SCIM_URL SCIM_TOKEN ADMIN_URL ADMIN_KEY; do ' \
             'printf "%s=%s\\n" "$n" "$(printenv $n)"; done'
    out = subprocess.run(["sh", "-c", script], env={"LINES": lines, "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def test_print_env_gives_the_real_port_in_lines_a_shell_evaluates(runner, tmp_path):
    shell = evaluated(print_env(runner, "--port", "8765"))
    assert shell["SCIM_URL"].startswith("http://127.0.0.1:8765/scim/v2/directories/")
    assert shell["ADMIN_URL"].startswith("http://127.0.0.1:8765/admin/v1/orgs/")
    assert shell["SCIM_TOKEN"].startswith("scimsrv_dt_")
    assert shell["ADMIN_KEY"].startswith("scimsrv_ak_")
    saved = tmp_path / "scim-server.env"
    assert evaluated(saved.read_text()) == shell
    assert saved.stat().st_mode & 0o077 == 0  # secrets: readable by the owner only


def test_a_new_run_revokes_the_previous_credentials(runner, client):
    first = evaluated(print_env(runner))
    second = evaluated(print_env(runner))
    assert first["SCIM_URL"] == second["SCIM_URL"]  # the same demo tenant
    path = "/scim/v2/directories/" + first["SCIM_URL"].rsplit("/", 1)[1] + "/Users"
    admin = "/admin/v1/orgs/" + first["ADMIN_URL"].rsplit("/", 1)[1] + "/users"

    def status(url: str, secret: str) -> int:
        return client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code

    assert status(path, first["SCIM_TOKEN"]) == 401
    assert status(admin, first["ADMIN_KEY"]) == 401
    assert status(path, second["SCIM_TOKEN"]) == 200
    assert status(admin, second["ADMIN_KEY"]) == 200


def test_admin_email_makes_the_demo_org_an_admin_account(runner, db_session):
    shell = evaluated(print_env(runner, "--admin-email", "Ops@Example.com"))
    org_id = shell["ADMIN_URL"].rsplit("/", 1)[1]
    admin = db_session.scalars(select(Account).where(Account.org_id == org_id)).one()
    assert admin.is_org_admin and admin.email_norm == "ops@example.com"
    print_env(runner, "--admin-email", "ops@example.com")  # a second run keeps one account
    db_session.expire_all()
    assert len(db_session.scalars(select(Account).where(Account.org_id == org_id)).all()) == 1
