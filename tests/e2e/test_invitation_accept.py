"""End to end in a real browser: invite, deliver over SMTP, open the emailed link in
headless Chromium, click accept, and see the account gain site access.

Chromium is Debian's (`apt-get install -y chromium`, at /usr/bin/chromium) driven by the
`playwright` package; no browser is downloaded. Without them this test is skipped with a
loud notice, except under CI=true, where it fails.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from conftest import Tenant
from tests.admin.conftest import AdminClient
from tests.e2e.console_support import (CHROMIUM, CHROMIUM_ARGS,  # noqa: F401 (fixtures)
                                       playwright, smtp)
from tests.smtp_support import SmtpServer, deliver_all

def test_the_emailed_link_accepted_in_chromium(
        app: Flask, client: FlaskClient, tenant: Tenant, live_server: str,
        smtp: SmtpServer, playwright: Any) -> None:
    admin = AdminClient(client, tenant)
    [result] = admin.post("/invitations", json={
        "emails": "newcomer@example.test",
        "message": "Glad to have you with us!"}).get_json()["data"]
    assert result["result"] == "invited"
    user = f"/users/{result['account_id']}"
    assert admin.get(user).get_json()["invitation_status"] == "invitation_pending"
    deliver_all(app, smtp)
    [mail] = smtp.received
    assert mail.recipients == ["newcomer@example.test"]
    link = re.search(r"http://scim\.test/invitations/accept\?token=\S+", mail.part("plain"))
    assert link is not None
    assert f'href="{link.group(0)}"' in mail.part("html")
    # The link names the public URL (http://scim.test); point that name at the live server.
    live = urlsplit(live_server)
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP scim.test 127.0.0.1:{live.port}"])
    try:
        page = chromium.new_page()
        response = page.goto(link.group(0))
        assert response is not None and response.status == 200
        assert page.title() == "Accept your invitation"
        assert "newcomer@example.test" in page.inner_text("main")
        assert admin.get(user).get_json()["invitation_status"] == "invitation_pending"
        page.click("#accept")
        page.wait_for_selector('#result[data-result="accepted"]', timeout=15000)
        assert "Welcome to Acme" in page.inner_text("main")
        page.goto(link.group(0))  # the same link a second time
        assert page.get_attribute("#result", "data-result") == "used"
    finally:
        chromium.close()
    assert admin.get(user).get_json()["invitation_status"] == "has_site_access"
