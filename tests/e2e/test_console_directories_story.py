"""Directories, Audit log and Outbox in Chromium: an identity provider's push is refused,
the admin sees it with its request id, creates a token (shown once, works for SCIM),
looks the person up, then reads the audit log and the outbox. axe-core on each page, at
phone width (375 px) and desktop width.
"""
from __future__ import annotations

from typing import Any, Callable

import requests
from flask import Flask

from conftest import Tenant
from tests.console.conftest import make_admin  # noqa: F401  (fixture)
from tests.e2e.console_support import (PUBLIC, assert_accessible, chromium,  # noqa: F401
                                       playwright, sign_in, smtp)
from tests.smtp_support import SmtpServer

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_directory_health_tokens_audit_and_outbox(
        app: Flask, tenant: Tenant, live_server: str, smtp: SmtpServer, chromium: Any,
        make_admin: Callable[..., str]) -> None:
    base = f"{live_server}{tenant.scim_base}"
    headers = {**tenant.scim_headers, "Content-Type": "application/scim+json"}
    made = requests.post(f"{base}/Users", headers=headers, timeout=10, json={
        "schemas": [USER], "userName": "ada@acme.test"})
    assert made.status_code == 201, made.text
    clash = requests.post(f"{base}/Users", headers={**headers, "X-Request-Id": "idp-req-42"},
                          timeout=10, json={"schemas": [USER], "userName": "ada@acme.test"})
    assert clash.status_code == 409
    make_admin(tenant, email="admin@acme.test")
    for width in (375, 1280):
        page = chromium.new_page(viewport={"width": width, "height": 900})
        sign_in(page, app, smtp, "admin@acme.test")
        page.get_by_role("link", name="Directories").click()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator(f"#directory-{tenant.directory_id} h2 a").click()
        assert page.locator(".state").text_content().strip().startswith("Failing since")
        failure = page.locator('#failure-list tr[data-request-id="idp-req-42"]')
        assert "409" in failure.inner_text() and "uniqueness" in failure.inner_text()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Create a token: the secret is on this answer only, and SCIM takes it.
        page.get_by_label("Token name").fill(f"Okta {width}")
        page.get_by_role("button", name="Create token").click()
        secret = page.locator("#secret").input_value()
        assert secret and "Token created" in page.content()
        assert_accessible(page)
        assert requests.get(f"{base}/Users", timeout=10, headers={
            "Authorization": f"Bearer {secret}"}).status_code == 200
        page.goto(f"{PUBLIC}/console/orgs/{tenant.org_id}/directories/{tenant.directory_id}")
        assert secret not in page.content()
        # Look the person up.
        page.get_by_label("Email or userName").fill("ada@acme.test")
        page.get_by_role("button", name="Look up").click()
        person = page.locator("#person-requests")
        assert "idp-req-42" in person.inner_text()
        assert_accessible(page)
        page.get_by_role("link", name="Audit log").click()
        assert "scim_token.created" in page.locator("#events").inner_text()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_role("link", name="Outbox").click()
        assert "admin@acme.test" in page.locator("#messages").inner_text()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.close()
