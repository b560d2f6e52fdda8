"""Stories (c) and (d) in a real browser, with the keyboard alone and axe-core on every page.

(c) A person the admin deactivated for inactivity follows the notice's link to
`/request-access`, confirms the address from the email received over real SMTP, and asks; the admin opens the emailed
link and approves, and access comes back with the old groups. Another is denied with a
message, sees it on the page and cannot ask again. (d) A person the identity provider
deprovisioned is told to contact their IT team and nothing is filed.

Chromium is Debian's, driven by Playwright; axe-core comes from axe-playwright-python.
Every page must have 0 serious or critical violations.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import ScimClient, Tenant
from scim_server import db
from scim_server.models import Account, Group, GroupMember, ProductGrant, utcnow
from tests.admin.conftest import AdminClient
from tests.e2e.console_support import CHROMIUM, CHROMIUM_ARGS, playwright  # noqa: F401
from tests.smtp_support import Received, SmtpServer, deliver_all

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
CHECKED: list[str] = []


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


def axe_clean(page: Any) -> None:
    """axe-core on the page as shown: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{page.url}: {bad}"
    CHECKED.append(page.title())


def tab_to(page: Any, element_id: str, limit: int = 25) -> None:
    """Press Tab until the element has focus: the keyboard is the only way in."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} never got the focus with Tab on {page.url}")


def mail_link(received: list[Received], to: str, path: str) -> str:
    mails = [m for m in received if to in m.recipients]
    assert mails, f"no email to {to}"
    found = re.search(r"http://scim\.test" + re.escape(path) + r"\S*", mails[-1].part("plain"))
    assert found, mails[-1].part("plain")
    return found.group(0)


def result(page: Any) -> str | None:
    return page.get_attribute("#result", "data-result")


def seed(app: Flask, tenant: Tenant, jira: str) -> dict[str, str]:
    """An admin, and two members of `jira-users` (Jira through the group) the admin
    deactivated for inactivity."""
    long_ago = utcnow() - timedelta(days=400)
    with app.app_context():
        session = db.new_session(app)
        admin = Account(org_id=tenant.org_id, email="valeria@acme.test",
                        email_norm="valeria@acme.test", email_verified=True,
                        is_org_admin=True, display_name="Valeria")
        people = {name: Account(org_id=tenant.org_id, email=f"{name}@acme.test",
                                email_norm=f"{name}@acme.test", email_verified=True,
                                display_name=name.title(), source="synced",
                                directory_id=tenant.directory_id, status="active",
                                has_accessed=True, created_at=long_ago,
                                last_active_at=utcnow() - timedelta(days=120))
                  for name in ("sleepy", "refused")}
        group = Group(org_id=tenant.org_id, directory_id=tenant.directory_id, source="synced",
                      display_name="jira-users", display_name_norm="jira-users",
                      attributes={}, member_count=2)
        session.add_all([admin, group, *people.values()])
        session.flush()
        for person in people.values():
            session.add(GroupMember(group_id=group.id, member_id=person.id,
                                    member_type="User"))
        session.add(ProductGrant(org_id=tenant.org_id, product_id=jira, group_id=group.id,
                                 role="user"))
        session.commit()
        ids = {"admin": admin.id, "group": group.id, **{k: v.id for k, v in people.items()}}
        session.close()
    return ids


def ask_for_access(page: Any, start: str, email: str, app: Flask, smtp: SmtpServer) -> str:
    """The person's first step, by keyboard: the address form, then the emailed link."""
    page.goto(start)
    assert page.title().startswith("Request access to Jira")
    axe_clean(page)
    tab_to(page, "email")
    page.keyboard.type(email)
    page.keyboard.press("Enter")
    page.wait_for_selector('#result[data-result="check_email"]')
    axe_clean(page)
    deliver_all(app, smtp)
    return mail_link(smtp.received, email, "/request-access/confirm")


def test_deactivated_people_ask_and_admins_decide_from_the_email(
        app: Flask, client: FlaskClient, tenant: Tenant, live_server: str, smtp: SmtpServer,
        playwright: Any, scim: ScimClient) -> None:  # noqa: F811
    admin = AdminClient(client, tenant)
    site = admin.get("/sites").get_json()["data"][0]["id"]
    admin.patch(f"/sites/{site}", json={"url": "https://acme.example"})
    jira = admin.post("/products", json={"site_id": site, "key": "jira", "name": "Jira",
                                         "seat_limit": 10}).get_json()["id"]
    ids = seed(app, tenant, jira)
    # The admin reclaims the licences of people unseen for 90 days, telling each of them.
    swept = admin.post("/inactive-users/deactivate", json={"days": 90, "notify": True})
    assert swept.get_json()["notified"] == 2
    deliver_all(app, smtp)
    notice = mail_link(smtp.received, "sleepy@acme.test", "/request-access")
    assert notice == f"http://scim.test/request-access?product={jira}"
    licences = {r["product_key"]: r["used"] for r in admin.get("/licences").get_json()["data"]}
    assert licences["jira"] == 0
    gone = scim.post("/Users", json={"schemas": [CORE], "userName": "left@acme.test",
                                     "emails": [{"value": "left@acme.test"}]}).get_json()
    assert scim.delete(f"/Users/{gone['id']}").status_code == 204

    live = urlsplit(live_server)
    base = "http://scim.test"
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP scim.test 127.0.0.1:{live.port}"])
    try:
        person = chromium.new_context().new_page()
        # (c) Sleepy asks, by keyboard, with a reason.
        confirm = ask_for_access(person, notice, "sleepy@acme.test", app, smtp)
        person.goto(confirm)
        axe_clean(person)
        tab_to(person, "reason")
        person.keyboard.type("Back from leave; I need the sprint board")
        tab_to(person, "request-access")
        assert person.inner_text("#request-access") == "Request access"
        person.keyboard.press("Enter")
        person.wait_for_selector('#result[data-result="asked"]')
        assert "administrators of Acme were notified" in person.inner_text("main")
        axe_clean(person)

        # The admin opens the emailed link in their own browser and approves by keyboard.
        deliver_all(app, smtp)
        [request] = admin.get("/access-requests").get_json()["data"]
        review = mail_link(smtp.received, "valeria@acme.test",
                           f"/access-requests/{request['id']}")
        valeria = chromium.new_context().new_page()
        valeria.goto(review)
        main = valeria.inner_text("main")
        assert "sleepy@acme.test" in main and "jira-users" in main and "Back from leave" in main
        axe_clean(valeria)
        assert admin.get(f"/access-requests/{request['id']}").get_json()["status"] == "pending"
        tab_to(valeria, "role")
        tab_to(valeria, "approve")
        valeria.keyboard.press("Enter")
        valeria.wait_for_selector('#result[data-result="approved"]')
        axe_clean(valeria)
        back = admin.get(f"/users/{ids['sleepy']}").get_json()
        assert back["status"] == "active"
        assert ids["group"] in {g["id"] for g in admin.get(
            f"/access-requests/{request['id']}").get_json()["account"]["groups"]}
        licences = {r["product_key"]: r["used"]
                    for r in admin.get("/licences").get_json()["data"]}
        assert licences["jira"] == 1  # back through the old group
        valeria.goto(review)  # the link worked once
        assert result(valeria) == "used"
        axe_clean(valeria)

        # Another is denied with a message, sees it, and cannot ask again.
        refused = chromium.new_context().new_page()
        confirm = ask_for_access(refused, notice, "refused@acme.test", app, smtp)
        refused.goto(confirm)
        tab_to(refused, "request-access")
        refused.keyboard.press("Enter")
        refused.wait_for_selector('#result[data-result="asked"]')
        deliver_all(app, smtp)
        [second] = admin.get("/access-requests").get_json()["data"]
        valeria.goto(mail_link(smtp.received, "valeria@acme.test",
                               f"/access-requests/{second['id']}"))
        tab_to(valeria, "message")
        valeria.keyboard.type("Jira seats are frozen until the next budget")
        tab_to(valeria, "deny")
        assert valeria.inner_text("#deny") == "Deny access"
        valeria.keyboard.press("Enter")
        valeria.wait_for_selector('#result[data-result="denied"]')
        axe_clean(valeria)
        deliver_all(app, smtp)
        denial = [m for m in smtp.received if "refused@acme.test" in m.recipients][-1]
        assert "frozen until the next budget" in denial.part("plain")
        again = ask_for_access(refused, notice, "refused@acme.test", app, smtp)
        refused.goto(again)
        assert result(refused) == "request-denied"
        assert "Jira seats are frozen until the next budget" in refused.inner_text("main")
        assert refused.query_selector("form") is None
        axe_clean(refused)

        # (d) The identity provider deprovisioned this one: contact IT, nothing filed.
        left = chromium.new_context().new_page()
        left.goto(ask_for_access(left, f"{base}/request-access?product={jira}", "left@acme.test",
                                 app, smtp))
        assert result(left) == "deprovisioned-by-identity-provider"
        assert "Contact your IT team" in left.inner_text("main")
        assert left.query_selector("form") is None
        axe_clean(left)
    finally:
        chromium.close()
    everything = admin.get("/access-requests?status=all").get_json()["data"]
    assert sorted(r["account"]["email"] for r in everything) == [
        "refused@acme.test", "sleepy@acme.test"]
    assert len(CHECKED) >= 12
