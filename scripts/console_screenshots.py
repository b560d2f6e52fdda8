#!/usr/bin/env python3
"""Screenshots of the console's main pages into docs/console/, for docs/console.md.

Builds a demo organization in a throwaway SQLite database (an identity provider's users
and groups pushed over SCIM, two products, invitations), serves the app on loopback,
signs in with a one-time link and photographs each page in Debian's Chromium.

    python3 scripts/console_screenshots.py [--out docs/console]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from scim_server import Config, create_app, db, migrate  # noqa: E402
from sqlalchemy import update  # noqa: E402

from scim_server.models import Account, OutboxMessage  # noqa: E402
from scim_server.services import admin_keys, console_auth, tenancy  # noqa: E402
from scim_server.services.actors import Actor  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PEOPLE = [("Ada Lovelace", "ada"), ("Grace Hopper", "grace"), ("Alan Turing", "alan"),
          ("Katherine Johnson", "katherine"), ("Edsger Dijkstra", "edsger"),
          ("Barbara Liskov", "barbara")]


def seed(app: Any) -> dict[str, str]:
    """A demo organization; returns ids and secrets the pages need."""
    with app.app_context():
        session = db.new_session(app)
        org = tenancy.create_organization(session, "Acme", Actor.cli())
        directory = tenancy.create_directory(session, org, "Acme Entra ID", "entra", Actor.cli())
        token = tenancy.issue_scim_token(session, directory, Actor.cli()).secret
        key = admin_keys.issue_admin_key(session, org, ["org-admin"], Actor.cli()).secret
        admin = Account(org_id=org.id, email="admin@acme.example", email_norm="admin@acme.example",
                        email_verified=True, is_org_admin=True, has_accessed=True,
                        display_name="Avery Admin")
        session.add(admin)
        session.commit()
        ids = {"org": org.id, "directory": directory.id, "admin": admin.id}
        session.close()
    client = app.test_client()
    scim = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    api = {"Authorization": f"Bearer {key}"}
    base, admin_base = f"/scim/v2/directories/{ids['directory']}", f"/admin/v1/orgs/{ids['org']}"
    members = []
    for name, login in PEOPLE:
        user = client.post(f"{base}/Users", headers=scim, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"{login}@acme.example", "displayName": name, "active": True,
            "emails": [{"value": f"{login}@acme.example", "primary": True}]}).get_json()
        members.append(user["id"])
    group = client.post(f"{base}/Groups", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
        "members": [{"value": m} for m in members[:4]]}).get_json()
    site = client.get(f"{admin_base}/sites", headers=api).get_json()["data"][0]["id"]
    jira = client.post(f"{admin_base}/products", headers=api, json={
        "site_id": site, "key": "jira", "name": "Jira", "seat_limit": 10}).get_json()
    client.post(f"{admin_base}/products", headers=api, json={
        "site_id": site, "key": "confluence", "name": "Confluence", "seat_limit": 25})
    client.put(f"{admin_base}/products/{jira['id']}/grants/groups/{group['id']}", headers=api,
               json={"role": "user"})
    client.post(f"{admin_base}/groups", headers=api, json={"name": "Contractors"})
    client.post(f"{admin_base}/invitations", headers=api, json={
        "emails": "lin@partner.example, sam@partner.example"})
    ids.update(group=group["id"], user=members[0])
    _refused_pushes_and_a_dead_email(app, client, base, scim, ids["org"])
    return ids


def _refused_pushes_and_a_dead_email(app: Any, client: Any, base: str, scim: dict[str, str],
                                     org_id: str) -> None:
    """What the Directories and Outbox pages exist for: refusals and an undeliverable email."""
    client.post(f"{base}/Users", headers={**scim, "X-Request-Id": "entra-7f3c1a"}, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada@acme.example", "active": True})
    client.post(f"{base}/Groups", headers={**scim, "X-Request-Id": "entra-7f3c1b"}, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]})
    with app.app_context():
        session = db.new_session(app)
        session.execute(update(OutboxMessage).where(
            OutboxMessage.org_id == org_id, OutboxMessage.to == "sam@partner.example")
            .values(status="dead", attempts=5,
                    last_error="550 5.1.1 <sam@partner.example>: Recipient address rejected"))
        session.commit()
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "console"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        server = make_server("127.0.0.1", 0, _app(folder), threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        server.app.config["SCIM"].public_url = url  # type: ignore[attr-defined]
        ids = seed(server.app)  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                _photograph(browser, server.app, url, ids, out)  # type: ignore[attr-defined]
                browser.close()
        finally:
            server.shutdown()
    print(f"screenshots written to {out}")


def _app(folder: str) -> Any:
    config = Config.from_env(database_url=f"sqlite:///{folder}/demo.sqlite3", testing=True,
                             rate_limit_enabled=False, smtp_url=None, redis_url=None)
    app = create_app(config)
    with app.app_context():
        migrate.upgrade(db.engine())
    return app


def _photograph(browser: Any, app: Any, url: str, ids: dict[str, str], out: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{url}/console/login")
    page.screenshot(path=str(out / "login.png"))
    with app.app_context():
        session = db.new_session(app)
        _link, token = console_auth.issue_sign_in_link(session, session.get(Account, ids["admin"]),
                                                       15)
        session.commit()
        session.close()
    page.goto(f"{url}/console/sign-in?token={token}")
    page.get_by_role("button", name="Sign in").click()
    org = f"{url}/console/orgs/{ids['org']}"
    shots = [("users", f"{org}/users"), ("user-detail", f"{org}/users/{ids['user']}"),
             ("products", f"{org}/products"), ("groups", f"{org}/groups"),
             ("group-detail", f"{org}/groups/{ids['group']}"),
             ("directories", f"{org}/directories"),
             ("directory-detail", f"{org}/directories/{ids['directory']}?user=ada@acme.example"),
             ("audit-log", f"{org}/audit-log"), ("outbox", f"{org}/outbox")]
    for name, address in shots:
        page.goto(address)
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    page.goto(f"{org}/invite")
    page.get_by_label("Email addresses").fill("kim@partner.example, lee@partner.example, oops")
    page.get_by_role("button", name="Invite users").click()
    page.wait_for_selector("#results")
    page.screenshot(path=str(out / "invite.png"), full_page=True)
    page.goto(f"{org}/directories/{ids['directory']}")
    page.get_by_label("Token name").fill("Entra ID provisioning")
    page.get_by_role("button", name="Create token").click()
    page.screenshot(path=str(out / "token-created.png"))
    phone = browser.new_page(viewport={"width": 375, "height": 812})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{org}/users")
    phone.screenshot(path=str(out / "users-phone.png"), full_page=True)


if __name__ == "__main__":
    main()
