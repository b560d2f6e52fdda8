"""`scim-server bootstrap`, `token create|revoke`, `admin-key create`, `db upgrade`."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from scim_server.cli import main


@pytest.fixture
def cli_env(database_url, app, monkeypatch):
    """Commands read SCIM_DATABASE_URL, like an operator's shell; the app fixture empties it."""
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    monkeypatch.setenv("SCIM_PUBLIC_URL", "https://scim.example.com")
    return CliRunner()


def run(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_bootstrap_prints_working_credentials(cli_env, client):
    out = run(cli_env, "bootstrap", "--org", "Acme", "--directory", "Entra", "--idp", "entra",
              "--json")
    assert set(out) >= {"org_id", "directory_id", "scim_path", "scim_token", "admin_key"}
    assert out["scim_path"] == f"/scim/v2/directories/{out['directory_id']}"
    assert out["scim_url"] == "https://scim.example.com" + out["scim_path"]
    response = client.get(f"{out['scim_path']}/Users",
                          headers={"Authorization": f"Bearer {out['scim_token']}"})
    assert response.status_code == 200
    response = client.get(f"/admin/v1/orgs/{out['org_id']}/users",
                          headers={"Authorization": f"Bearer {out['admin_key']}"})
    assert response.status_code == 200


def test_bootstrap_with_admin_email_creates_an_org_admin(cli_env, db_session):
    from sqlalchemy import select

    from scim_server.models import Account

    out = run(cli_env, "bootstrap", "--org", "Acme", "--directory", "D", "--admin-email",
              "Admin@Acme.test", "--json")
    admin = db_session.scalars(select(Account).where(Account.org_id == out["org_id"])).one()
    assert admin.is_org_admin and admin.email_norm == "admin@acme.test"


def test_token_create_and_revoke(cli_env, client):
    out = run(cli_env, "bootstrap", "--org", "Acme", "--directory", "D", "--json")
    token = run(cli_env, "token", "create", "--directory", out["directory_id"], "--json")
    headers = {"Authorization": f"Bearer {token['scim_token']}"}
    assert client.get(f"{out['scim_path']}/Users", headers=headers).status_code == 200
    result = cli_env.invoke(main, ["token", "revoke", token["token_id"]])
    assert result.exit_code == 0, result.output
    assert client.get(f"{out['scim_path']}/Users", headers=headers).status_code == 401


def test_admin_key_create_with_scope(cli_env, client):
    out = run(cli_env, "bootstrap", "--org", "Acme", "--directory", "D", "--json")
    key = run(cli_env, "admin-key", "create", "--org", out["org_id"], "--scope", "read-only",
              "--json")
    headers = {"Authorization": f"Bearer {key['admin_key']}"}
    base = f"/admin/v1/orgs/{out['org_id']}"
    assert client.get(f"{base}/users", headers=headers).status_code == 200
    assert client.post(f"{base}/sites", json={"name": "x"}, headers=headers).status_code == 403


@pytest.mark.parametrize("args", [
    ["token", "create", "--directory", "no-such-directory"],
    ["token", "revoke", "no-such-token"],
    ["admin-key", "create", "--org", "no-such-org", "--scope", "org-admin"],
    ["admin-key", "create", "--org", "x", "--scope", "superuser"],
    ["bootstrap", "--org", "A", "--directory", "D", "--idp", "myspace"],
])
def test_bad_arguments_fail_cleanly(cli_env, args):
    result = cli_env.invoke(main, args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_db_upgrade_is_idempotent(cli_env):
    for _ in range(2):
        result = cli_env.invoke(main, ["db", "upgrade"])
        assert result.exit_code == 0 and "up to date" in result.output


@pytest.mark.parametrize("args, option", [
    (["bootstrap", "--org", "o" * 201, "--directory", "D"], "--org"),
    (["bootstrap", "--org", "Acme", "--directory", "d" * 201], "--directory"),
])
def test_a_name_longer_than_kept_is_a_usage_error(cli_env, db_session, args, option):
    """200 characters is what the columns keep (models: String(200)); longer is refused
    before anything is created, on both backends, instead of PostgreSQL's traceback."""
    from sqlalchemy import func, select

    from scim_server.models import Organization

    result = cli_env.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert option in result.output and "at most 200" in result.output
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Organization)) == 0


def test_token_and_key_names_longer_than_kept_are_usage_errors(cli_env):
    out = run(cli_env, "bootstrap", "--org", "Acme", "--directory", "D", "--json")
    token = cli_env.invoke(main, ["token", "create", "--directory", out["directory_id"],
                                  "--name", "t" * 201])
    key = cli_env.invoke(main, ["admin-key", "create", "--org", out["org_id"], "--scope",
                                "org-admin", "--name", "k" * 201])
    assert (token.exit_code, key.exit_code) == (2, 2), (token.output, key.output)
    assert "at most 200" in token.output and "at most 200" in key.output
    assert run(cli_env, "token", "create", "--directory", out["directory_id"], "--name",
               "t" * 200, "--json")["scim_token"]
