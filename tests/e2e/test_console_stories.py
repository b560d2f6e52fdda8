"""The console's seed stories, acted out in Chromium against a live server and real SMTP.

(a) An identity provider pushes users and groups over SCIM; the admin signs in with the
emailed link, sees them "Invitation not sent" with no product, grants a product to a
synced group and watches the licence count move.
(b) The admin invites three people without product access, with the keyboard alone; one
accepts through the emailed link and the status changes on the page; an expired one gets
"Resend invite". axe-core checks every page on the way.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Callable

import requests
from flask import Flask
from sqlalchemy import update

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, Invitation, utcnow
from tests.admin.conftest import AdminClient
from tests.console.conftest import make_admin  # noqa: F401  (fixture)
from tests.e2e.console_support import (PUBLIC, assert_accessible, chromium,  # noqa: F401
                                       newest_mail, playwright, sign_in, smtp)
from tests.smtp_support import SmtpServer, deliver_all

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def push_over_scim(live_server: str, tenant: Tenant) -> list[str]:
    """What an identity provider does: POST /Users, then POST /Groups with members."""
    base = f"{live_server}{tenant.scim_base}"
    headers = {**tenant.scim_headers, "Content-Type": "application/scim+json"}
    ids = []
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing"):
        login = name.split()[0].lower() + "@acme.test"
        response = requests.post(f"{base}/Users", headers=headers, timeout=10, json={
            "schemas": [USER_SCHEMA], "userName": login, "displayName": name,
            "emails": [{"value": login, "primary": True}], "active": True})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    response = requests.post(f"{base}/Groups", headers=headers, timeout=10, json={
        "schemas": [GROUP_SCHEMA], "displayName": "Engineering",
        "members": [{"value": i} for i in ids]})
    assert response.status_code == 201, response.text
    return ids


def row(page: Any, email: str) -> Any:
    return page.locator(f'tr[data-email="{email}"]')


def test_story_a_synced_people_and_a_group_grant(
        app: Flask, client: Any, tenant: Tenant, live_server: str, smtp: SmtpServer,
        chromium: Any, make_admin: Callable[..., str]) -> None:
    admin_api = AdminClient(client, tenant)
    site = admin_api.get("/sites").get_json()["data"][0]["id"]
    admin_api.post("/products", json={"site_id": site, "key": "jira", "name": "Jira",
                                      "seat_limit": 10})
    push_over_scim(live_server, tenant)
    make_admin(tenant, email="admin@acme.test")
    page = chromium.new_page()
    sign_in(page, app, smtp, "admin@acme.test")
    assert_accessible(page)
    for email in ("ada@acme.test", "grace@acme.test", "alan@acme.test"):
        line = row(page, email)
        assert line.locator(".invitation-status").inner_text().strip().lower() == \
            "invitation not sent"
        assert line.locator(".products").inner_text().strip() == "No product access"
    assert smtp.received[-1].recipients == ["admin@acme.test"]  # nobody synced was emailed
    assert len(smtp.received) == 1

    page.get_by_role("link", name="Products").click()
    assert_accessible(page)
    assert page.locator(".licence .used").first.inner_text() == "0"
    page.get_by_role("link", name="Groups").click()
    assert_accessible(page)
    page.get_by_role("link", name="Engineering").click()
    assert_accessible(page)
    assert "read-only here" in page.inner_text("main")
    page.get_by_label("Product").select_option(label="Jira")
    page.get_by_role("button", name="Grant access").click()
    page.wait_for_selector("text=Access granted to every member of the group")
    page.get_by_role("link", name="Products").click()
    assert page.locator(".licence .used").first.inner_text() == "3"
    assert "7 available" in page.locator(".licence").first.inner_text()
    page.get_by_role("link", name="Users", exact=True).click()
    assert row(page, "ada@acme.test").locator(".products").inner_text().strip() == "Jira"
    page.get_by_role("link", name="Ada Lovelace").click()
    assert_accessible(page)
    assert "Group Engineering" in page.inner_text("#access")
    assert "Managed by the directory" in page.inner_text("main")


def test_story_b_invite_accept_expire_resend(
        app: Flask, client: Any, tenant: Tenant, live_server: str, smtp: SmtpServer,
        chromium: Any, make_admin: Callable[..., str]) -> None:
    make_admin(tenant, email="admin@acme.test")
    page = chromium.new_page()
    sign_in(page, app, smtp, "admin@acme.test")

    # With the keyboard alone: to "Invite users", fill the form, send it.
    def tab_to(predicate: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    tab_to("document.activeElement.textContent.trim() === 'Invite users'")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Invite users')")
    assert_accessible(page)
    tab_to("document.activeElement.id === 'emails'")
    page.keyboard.type("one@acme.test, two@acme.test\nthree@acme.test")
    tab_to("document.activeElement.id === 'message'")
    page.keyboard.type("Welcome to Acme!")
    tab_to("document.activeElement.id === 'submit'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results")
    assert_accessible(page)
    assert page.locator('#results tr[data-result="invited"]').count() == 3

    deliver_all(app, smtp)
    accept = newest_mail(smtp, "two@acme.test", r"http://scim\.test/invitations/accept\?token=\S+")
    page.goto(f"{PUBLIC}/console/orgs/{tenant.org_id}/users")
    for email in ("one@acme.test", "two@acme.test", "three@acme.test"):
        assert row(page, email).locator(".invitation-status").inner_text().lower() == \
            "invitation pending"
        assert row(page, email).locator(".products").inner_text().strip() == \
            "No product access"

    invitee = chromium.new_context().new_page()  # someone else's browser
    invitee.goto(accept)
    invitee.click("#accept")
    invitee.wait_for_selector('#result[data-result="accepted"]')
    page.reload()
    assert row(page, "two@acme.test").locator(".invitation-status").inner_text().lower() == \
        "has site access"

    with app.app_context():  # thirty days pass for three@
        session = db.new_session(app)
        three = session.query(Account).filter_by(email_norm="three@acme.test").one()
        session.execute(update(Invitation).where(Invitation.account_id == three.id)
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
        session.close()
    page.reload()
    assert row(page, "three@acme.test").locator(".invitation-status").inner_text().lower() \
        == "invitation expired"
    page.get_by_role("link", name="Three").click()
    assert_accessible(page)
    sent_before = len(smtp.received)
    page.get_by_role("button", name="Resend invite").click()
    page.wait_for_selector("text=Invite sent")
    assert page.inner_text("#invitation-status").strip().lower() == "invitation pending"
    deliver_all(app, smtp)
    assert len(smtp.received) == sent_before + 1
    assert smtp.received[-1].recipients == ["three@acme.test"]
    fresh = newest_mail(smtp, "three@acme.test", r"http://scim\.test/invitations/accept\?\S+")
    assert re.search(r"token=scimsrv_inv_", fresh)


def test_every_console_page_is_accessible_at_phone_width(
        app: Flask, client: Any, tenant: Tenant, live_server: str, smtp: SmtpServer,
        chromium: Any, make_admin: Callable[..., str]) -> None:
    """axe-core on every GET page of the console (and its error pages), 375 px wide."""
    admin_api = AdminClient(client, tenant)
    site = admin_api.get("/sites").get_json()["data"][0]["id"]
    product = admin_api.post("/products", json={"site_id": site, "key": "jira",
                                                "name": "Jira", "seat_limit": 5}).get_json()
    push_over_scim(live_server, tenant)
    group = admin_api.post("/groups", json={"name": "Contractors"}).get_json()
    users = admin_api.get("/users").get_json()["data"]
    make_admin(tenant, email="admin@acme.test")
    page = chromium.new_page(viewport={"width": 375, "height": 812})
    sign_in(page, app, smtp, "admin@acme.test")
    ids = {"account_id": users[0]["id"], "group_id": group["id"],
           "product_id": product["id"], "directory_id": tenant.directory_id}
    ids["request_id"] = admin_api.post("/access-requests", json={
        "account_id": users[1]["id"], "product_id": product["id"]}).get_json()["id"]
    admin_api.post("/domains", json={"domain": "acme.test", "product_id": product["id"]})
    rules = sorted(r.rule for r in app.url_map.iter_rules()
                   if r.rule.startswith("/console/orgs/") and "GET" in (r.methods or ()))
    assert len(rules) >= 6
    for rule in rules:
        path = re.sub(r"<(\w+)>", lambda m: tenant.org_id if m.group(1) == "org_id"
                      else ids[m.group(1)], rule)
        response = page.goto(f"{PUBLIC}{path}")
        assert response is not None and response.status == 200, path
        assert_accessible(page)
        # Nothing wider than the phone: tables scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    for path in ("/console/nowhere", f"/console/orgs/{tenant.org_id}/users/nobody"):
        response = page.goto(f"{PUBLIC}{path}")
        assert response is not None and response.status == 404
        assert_accessible(page)
