"""Story (c), the admin's half, in Chromium against a live server and real SMTP: on the
Inactive users page a dry run of 123 people and the seats they hold, then "Deactivate
user" with a notice; later one of them asks through the product, and the admin approves
from the Access requests page. axe-core checks each page on the way.
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.models import AuditEvent, Organization
from scim_server.services import admin_keys
from scim_server.services.actors import Actor
from tests.admin.conftest import AdminClient
from tests.e2e.console_support import (assert_accessible, chromium,  # noqa: F401
                                       playwright, sign_in, smtp)
from tests.e2e.test_inactive_users_story import ACTIVE, INACTIVE, seed, to, used
from tests.smtp_support import SmtpServer, deliver_all

NOTICE = "We reclaimed unused licences. Ask for access from the link when you need it."


def test_story_c_dry_run_deactivate_with_notice_then_approve(
        app: Flask, client: Any, tenant: Tenant, live_server: str, smtp: SmtpServer,
        chromium: Any) -> None:
    admin = AdminClient(client, tenant)
    site = admin.get("/sites").get_json()["data"][0]["id"]
    jira = admin.post("/products", json={"site_id": site, "key": "jira", "name": "Jira",
                                         "seat_limit": 135}).get_json()["id"]
    confluence = admin.post("/products", json={"site_id": site, "key": "confluence",
                                               "name": "Confluence", "seat_limit": 40}
                            ).get_json()["id"]
    ids = seed(app, tenant, jira, confluence)  # Valeria (org admin), 123 asleep, 7 awake
    with app.app_context():
        session = db.new_session(app)
        key = admin_keys.issue_admin_key(session, session.get_one(Organization, tenant.org_id),
                                         ["product-service"], Actor.cli())
        session.commit()
        session.close()
    product = admin.with_key(key.secret)
    for account_id in ids["people"][INACTIVE:]:
        assert product.post("/activity", json={"account_id": account_id,
                                               "product_id": jira}).status_code == 200

    page = chromium.new_page()
    sign_in(page, app, smtp, "valeria@acme.test")
    page.get_by_role("link", name="Inactive users").click()
    dry = page.locator("#dry-run")
    dry.wait_for()
    assert dry.get_attribute("data-count") == str(INACTIVE)
    assert dry.get_attribute("data-seats") == str(INACTIVE + 40)  # Jira 123 + Confluence 40
    assert page.locator("#inactive tbody tr").count() == INACTIVE
    assert "Confluence 40, Jira 123" in page.locator("#seats-freed").inner_text()
    assert page.locator('tr[data-account="%s"]' % ids["people"][INACTIVE]).count() == 0
    assert_accessible(page)
    page.set_viewport_size({"width": 375, "height": 812})  # the 123 rows at phone width
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert used(admin) == {"jira": INACTIVE + ACTIVE, "confluence": 40}  # a dry run

    assert page.get_by_label("Email each person a notice").is_checked()
    page.get_by_label("Message to each person (optional)").fill(NOTICE)
    page.get_by_role("button", name="Deactivate user").click()
    page.locator("#sweep-result").wait_for()
    assert page.locator("#deactivated-count").inner_text() == str(INACTIVE)
    assert page.locator("#notified-count").inner_text() == str(INACTIVE)
    assert page.locator("#dry-run").get_attribute("data-count") == "0"
    assert_accessible(page)
    assert used(admin) == {"jira": ACTIVE, "confluence": 0}
    deliver_all(app, smtp)
    notices = [m for m in smtp.received if "user000@acme.test" in m.recipients]
    assert len(notices) == 1 and NOTICE in notices[0].part("plain")
    assert len({r for m in smtp.received for r in m.recipients
                if r.startswith("user")}) == INACTIVE

    # user000 asks to come back, through Jira; Valeria approves on Access requests.
    filed = product.post("/access-requests", json={"email": "user000@acme.test",
                                                   "product_id": jira,
                                                   "reason": "back on the project"})
    assert filed.status_code == 201, filed.get_json()
    request_id = filed.get_json()["id"]
    page.get_by_role("link", name="Access requests").click()
    row = page.locator(f'tr[data-request="{request_id}"]')
    row.wait_for()
    assert_accessible(page)
    row.get_by_role("link", name="Review").click()
    page.locator("#request").wait_for()
    details = page.locator("#request").inner_text()
    assert "back on the project" in details and "jira-users" in details
    assert "deactivated" in details.lower() and f"{135 - ACTIVE} of 135" in details
    assert_accessible(page)
    # Approve with the keyboard alone: the role select, then Tab to "Approve" and Enter.
    page.get_by_label("Role").focus()
    assert page.evaluate("document.activeElement.value") == "user"  # the default role
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent || document.activeElement.value"
                         ) == "Approve"
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Approved: Jira (User) granted")
    assert page.locator("#request").get_attribute("data-status") == "approved"
    assert_accessible(page)

    user = admin.get(f"/users/{ids['people'][0]}").get_json()
    assert user["status"] == "active"
    assert [g["name"] for g in user["groups"]] == ["jira-users"]  # the old groups are back
    assert used(admin) == {"jira": ACTIVE + 1, "confluence": 1}
    deliver_all(app, smtp)
    assert [m.message["Subject"] for m in to(smtp.received, "user000@acme.test")][-1] == \
        "Your request for Jira was approved"
    with app.app_context():
        session = db.new_session(app, writes=False)
        valeria = session.scalars(select(AuditEvent.actor_id).where(
            AuditEvent.action == "console.signed_in")).one()
        actors = {(e.action, e.actor_type, e.actor_id) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(
                ["users.inactive_deactivated", "access_request.approved"])))}
        session.close()
    assert actors == {("users.inactive_deactivated", "account", valeria),
                      ("access_request.approved", "account", valeria)}
    page.close()
