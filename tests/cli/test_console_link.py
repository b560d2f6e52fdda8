"""`scim-server console-link` prints a one-time sign-in link that signs in once."""
from __future__ import annotations

import json
import re
from typing import Callable

import pytest
from click.testing import CliRunner
from flask import Flask

from conftest import ScimClient, Tenant
from scim_server.cli import main
from tests.console.conftest import Console, csrf_of, make_admin  # noqa: F401  (fixture)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    monkeypatch.setenv("SCIM_PUBLIC_URL", "http://scim.test")


def test_console_link_signs_in_once(app: Flask, tenant: Tenant, cli_env: None,
                                    make_admin: Callable[..., str]) -> None:
    make_admin(tenant, email="boss@acme.test")
    result = CliRunner().invoke(main, ["console-link", "--org", tenant.org_id,
                                       "--email", "Boss@acme.test", "--json"])
    assert result.exit_code == 0, result.output
    url = json.loads(result.output)["url"]
    assert url.startswith("http://scim.test/console/sign-in?token=scimsrv_sl_")
    path = url.removeprefix("http://scim.test")
    browser = Console(app.test_client(), app)
    page = browser.get(path)
    assert page.status_code == 200
    token = path.split("token=", 1)[1]
    signed = browser.client.post("/console/sign-in", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "token": token})
    assert signed.status_code == 302
    assert browser.get(f"/console/orgs/{tenant.org_id}/users").status_code == 200
    assert Console(app.test_client(), app).get(path).status_code == 410  # used


def test_console_link_refuses_a_non_admin(app: Flask, tenant: Tenant, cli_env: None,
                                          make_admin: Callable[..., str]) -> None:
    make_admin(tenant, email="member@acme.test", role="none")
    for email in ("member@acme.test", "nobody@acme.test"):
        result = CliRunner().invoke(main, ["console-link", "--org", tenant.org_id,
                                           "--email", email])
        assert result.exit_code != 0
        assert "no active admin" in result.output


def test_quickstart_prints_a_console_link_for_its_demo_admin(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import importlib

    bootstrap = importlib.import_module("scim_server.cli.bootstrap")
    monkeypatch.setenv("SCIM_DATABASE_URL", f"sqlite:///{tmp_path / 'quick.sqlite3'}")
    monkeypatch.setenv("SCIM_PUBLIC_URL", "http://127.0.0.1:8000")
    monkeypatch.setattr(bootstrap, "run_server", lambda *a, **k: None)
    monkeypatch.chdir(tmp_path)  # quickstart writes ./scim-server.env
    runner = CliRunner()
    links = []
    for _ in range(2):  # a second run finds the demo tenant and prints a fresh link
        result = runner.invoke(main, ["quickstart"])
        assert result.exit_code == 0, result.output
        assert "sign in as admin@example.com" in result.stderr
        found = re.search(r"http://127\.0\.0\.1:8000/console/sign-in\?token=scimsrv_sl_\S+",
                          result.stderr)
        assert found, result.stderr
        links.append(found.group(0))
    assert links[0] != links[1]


def test_console_link_and_bootstrap_find_an_admin_scim_pushed(
        app: Flask, tenant: Tenant, cli_env: None, scim: ScimClient) -> None:
    """The address as the directory wrote it ("İ" folds to "i", one for one) names the
    account SCIM made: `--admin-email` promotes it rather than adding a second one."""
    from sqlalchemy import select

    from scim_server import db
    from scim_server.cli.demo import ensure_org_admin
    from scim_server.models import Account, Organization
    from tests.admin.test_email_matching import push

    user = push(scim, "İlker@acme.test")
    with app.app_context():
        session = db.new_session(app)
        try:
            org = session.get_one(Organization, tenant.org_id)
            promoted = ensure_org_admin(session, org, "İlker@acme.test").id
            session.commit()
            assert session.scalars(select(Account.id)).all() == [user["id"]] == [promoted]
        finally:
            session.rollback()
            session.close()
    result = CliRunner().invoke(main, ["console-link", "--org", tenant.org_id,
                                       "--email", "İlker@acme.test", "--json"])
    assert result.exit_code == 0, result.output
