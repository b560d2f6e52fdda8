"""One name per thing: the CLI prints a key's and a token's id as the admin API does."""
from __future__ import annotations

import json

from click.testing import CliRunner

from scim_server.cli import main


def test_admin_key_create_prints_the_id_the_api_lists(database_url, app, client, tenant,
                                                       monkeypatch):
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["admin-key", "create", "--org", tenant.org_id,
                                       "--scope", "read-only", "--name", "ci", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    listed = client.get(f"{tenant.admin_base}/admin-keys",
                        headers=tenant.admin_headers).get_json()["data"]
    assert printed["id"] in {key["id"] for key in listed}
    assert printed["key_id"] == printed["id"]  # the old name, kept as an alias
    assert printed["name"] == "ci" and printed["scopes"] == ["read-only"]
    revoked = CliRunner().invoke(main, ["admin-key", "revoke", "--org", tenant.org_id,
                                        printed["id"]])
    assert revoked.exit_code == 0, revoked.output


def test_token_create_prints_id(database_url, app, tenant, monkeypatch):
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["token", "create", "--directory", tenant.directory_id,
                                       "--json"], catch_exceptions=False)
    printed = json.loads(result.output)
    assert printed["id"] == printed["token_id"] and printed["scim_token"].startswith("scimsrv_dt_")
