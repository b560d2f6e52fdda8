#!/usr/bin/env python3
"""Screenshots of Inactive users, Access requests (list, review, User interests) and
Domains into docs/console/, on the demo organization of `console_screenshots.py`.

    python3 scripts/console_screenshots_requests.py [--out docs/console]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from console_screenshots import ARGS, CHROMIUM, _app, seed  # noqa: E402
from scim_server import db  # noqa: E402
from scim_server.models import Account, Organization, utcnow  # noqa: E402
from scim_server.services import admin_keys, console_auth  # noqa: E402
from scim_server.services.actors import Actor  # noqa: E402


def more(app: Any, ids: dict[str, str]) -> dict[str, str]:
    """Three of Engineering unseen for four months; two people asking for Jira; a domain."""
    with app.app_context():
        session = db.new_session(app)
        key = admin_keys.issue_admin_key(session, session.get_one(Organization, ids["org"]),
                                         ["org-admin"], Actor.cli()).secret
        people = {a.email: a for a in session.scalars(
            select(Account).where(Account.org_id == ids["org"]))}
        for login in ("grace", "alan", "katherine"):
            account = people[f"{login}@acme.example"]
            account.created_at = utcnow() - timedelta(days=400)
            account.last_active_at = utcnow() - timedelta(days=100 + len(login))
        people["ada@acme.example"].last_active_at = utcnow() - timedelta(days=2)
        session.commit()
        asking = [people["edsger@acme.example"].id, people["barbara@acme.example"].id]
        session.close()
    client, api = app.test_client(), {"Authorization": f"Bearer {key}"}
    base = f"/admin/v1/orgs/{ids['org']}"
    jira = [p for p in client.get(f"{base}/products", headers=api).get_json()["data"]
            if p["key"] == "jira"][0]["id"]
    requests = [client.post(f"{base}/access-requests", headers=api, json={
        "account_id": who, "product_id": jira, "reason": reason}).get_json()["id"]
        for who, reason in zip(asking, ("Sprint planning with the platform team",
                                        "Reviewing the Q3 roadmap"))]
    client.post(f"{base}/domains", headers=api, json={"domain": "acme.example",
                                                      "product_id": jira})
    return {**ids, "request": requests[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "console"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        server = make_server("127.0.0.1", 0, _app(folder), threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        app = server.app  # type: ignore[attr-defined]
        app.config["SCIM"].public_url = url
        ids = more(app, seed(app))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                _photograph(browser, app, url, ids, out)
                browser.close()
        finally:
            server.shutdown()
    print(f"screenshots written to {out}")


def _photograph(browser: Any, app: Any, url: str, ids: dict[str, str], out: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    with app.app_context():
        session = db.new_session(app)
        _link, token = console_auth.issue_sign_in_link(session, session.get(Account, ids["admin"]),
                                                       15)
        session.commit()
        session.close()
    page.goto(f"{url}/console/sign-in?token={token}")
    page.get_by_role("button", name="Sign in").click()
    org = f"{url}/console/orgs/{ids['org']}"
    for name, address in (("inactive-users", f"{org}/inactive-users"),
                          ("access-requests", f"{org}/access-requests"),
                          ("access-request", f"{org}/access-requests/{ids['request']}"),
                          ("user-interests", f"{org}/user-interests"),
                          ("domains", f"{org}/domains")):
        page.goto(address)
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)


if __name__ == "__main__":
    main()
