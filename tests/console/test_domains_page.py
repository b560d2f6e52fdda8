"""Domains page: list, add and delete approved domains; the access-request settings."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, AuditEvent
from tests.console.conftest import AdminClient, Console


@pytest.fixture
def jira(make_product: Callable[..., dict[str, Any]]) -> str:
    return str(make_product("jira", "Jira")["id"])


def rules(admin: AdminClient) -> list[dict[str, Any]]:
    return list(admin.get("/domains").get_json()["data"])


def test_add_list_and_delete_a_domain(app: Flask, signed_in: Console, admin: AdminClient,
                                      jira: str) -> None:
    assert "No approved domains yet" in signed_in.get("domains").get_data(as_text=True)
    response = signed_in.post_form("domains", "domains/add", {
        "domain": "@Acme.COM", "product": jira, "role": "admin", "notify_admins": "y"})
    assert response.status_code == 302
    [rule] = rules(admin)
    assert (rule["domain"], rule["product_id"], rule["role"], rule["approval_required"],
            rule["notify_admins"]) == ("acme.com", jira, "admin", False, True)
    html = signed_in.get("domains").get_data(as_text=True)
    row = html.split(f'data-rule="{rule["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "acme.com" in row and "Jira" in row and "Not required" in row
    signed_in.post_form("domains", "domains/add", {"domain": "corp.acme.com", "product": jira,
                                                   "approval_required": "y"})
    second = [r for r in rules(admin) if r["domain"] == "corp.acme.com"][0]
    assert (second["role"], second["approval_required"], second["notify_admins"]) == \
        ("user", True, False)  # the product's default role; unticked box = false
    signed_in.post_form("domains", f"domains/{rule['id']}/delete")
    assert [r["domain"] for r in rules(admin)] == ["corp.acme.com"]
    with app.app_context():
        session = db.new_session(app, writes=False)
        admin_id = session.scalars(select(Account.id).where(
            Account.email == "admin@acme.test")).one()
        actors = {(e.action, e.actor_type, e.actor_id) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("domain_rule.%")))}
        session.close()
    assert actors == {("domain_rule.created", "account", admin_id),
                      ("domain_rule.deleted", "account", admin_id)}


@pytest.mark.parametrize("data, words", [
    ({"domain": "gmail.com"}, "public email domain"),
    ({"domain": "not a domain"}, "not a valid domain name"),
    ({"domain": ""}, "Enter a domain"),
    ({"domain": "x" * 300}, "Field cannot be longer"),
    ({"domain": "acme.com", "product": "nope"}, "Not a valid choice"),
    ({"domain": "acme.com", "role": "owner"}, "Not a valid choice"),
])
def test_junk_is_refused_with_a_page_that_says_why(signed_in: Console, admin: AdminClient,
                                                   jira: str, data: dict, words: str) -> None:
    response = signed_in.post_form("domains", "domains/add", {"product": jira, **data})
    assert response.status_code in (409, 422)
    assert words in response.get_data(as_text=True)
    assert rules(admin) == []


def test_a_duplicate_is_a_clash_page(signed_in: Console, admin: AdminClient, jira: str) -> None:
    signed_in.post_form("domains", "domains/add", {"domain": "acme.com", "product": jira})
    again = signed_in.post_form("domains", "domains/add", {"domain": "ACME.com",
                                                           "product": jira})
    assert again.status_code == 409
    assert "already approved" in again.get_data(as_text=True)
    assert len(rules(admin)) == 1


def test_access_settings_change_what_the_api_reads(signed_in: Console,
                                                   admin: AdminClient) -> None:
    assert admin.get("/access-settings").get_json() == {
        "deactivated_may_request": True, "notify_admins_on_requests": "always",
        "signup_any_domain": False}
    html = signed_in.get("domains").get_data(as_text=True)
    assert '<input checked id="deactivated_may_request"' in html
    [signup_box] = re.findall(r'<input[^>]*id="signup_any_domain"[^>]*>', html)
    assert "checked" not in signup_box
    signed_in.post_form("domains", "access-settings", {
        "notify_admins_on_requests": "approval_required", "signup_any_domain": "y"})
    assert admin.get("/access-settings").get_json() == {
        "deactivated_may_request": False, "notify_admins_on_requests": "approval_required",
        "signup_any_domain": True}
    bad = signed_in.post_form("domains", "access-settings",
                              {"notify_admins_on_requests": "never"})
    assert bad.status_code == 422
    assert admin.get("/access-settings").get_json()["signup_any_domain"] is True


def test_csrf_other_orgs_and_roles(app: Flask, client: Any, tenant: Tenant, admin: AdminClient,
                                   signed_in: Console, jira: str,
                                   make_admin: Callable[..., str],
                                   make_tenant: Callable[..., Tenant]) -> None:
    rule = admin.post("/domains", json={"domain": "acme.com", "product_id": jira}).get_json()
    base = f"/console/orgs/{tenant.org_id}"
    for path, data in ((f"{base}/domains/add", {"domain": "b.com", "product": jira}),
                       (f"{base}/domains/{rule['id']}/delete", {}),
                       (f"{base}/access-settings", {"signup_any_domain": "y"})):
        assert signed_in.client.post(path, data=data).status_code == 400, path
    assert len(rules(admin)) == 1
    assert admin.get("/access-settings").get_json()["signup_any_domain"] is False
    other = make_tenant("Globex")
    assert signed_in.get(f"/console/orgs/{other.org_id}/domains").status_code == 404
    globex = AdminClient(client, other)
    site = globex.get("/sites").get_json()["data"][0]["id"]
    theirs_product = globex.post("/products", json={"site_id": site, "key": "jira",
                                                    "name": "Jira"}).get_json()["id"]
    theirs = globex.post("/domains", json={"domain": "globex.com",
                                           "product_id": theirs_product}).get_json()["id"]
    gone = signed_in.post_form("domains", f"domains/{theirs}/delete")
    assert gone.status_code == 404
    assert len(globex.get("/domains").get_json()["data"]) == 1
    missing = signed_in.post_form("domains", "domains/no-such-rule/delete")
    assert missing.status_code == 404
    # A user-access admin cannot open organization settings, nor change them.
    make_admin(tenant, email="helpdesk@acme.test", role="user_access_admin")
    helpdesk = Console(app.test_client(), app).sign_in("helpdesk@acme.test", tenant.org_id)
    assert helpdesk.get("domains").status_code == 403
    nav = helpdesk.get("users").get_data(as_text=True).split('<nav class="nav"', 1)[1]
    assert ">Domains<" not in nav.split("</nav>", 1)[0]
    refused = helpdesk.post_form("users", f"domains/{rule['id']}/delete")
    assert refused.status_code == 403
    refused = helpdesk.post_form("users", "access-settings", {"signup_any_domain": "y"})
    assert refused.status_code == 403
    assert len(rules(admin)) == 1
    assert admin.get("/access-settings").get_json()["signup_any_domain"] is False


def test_a_refused_domain_keeps_the_saved_settings_on_the_page(
        signed_in: Console, admin: AdminClient, jira: str) -> None:
    admin.patch("/access-settings", json={"signup_any_domain": True})
    refused = signed_in.post_form("domains", "domains/add", {"domain": "", "product": jira})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    [signup_box] = re.findall(r'<input[^>]*id="signup_any_domain"[^>]*>', html)
    assert "checked" in signup_box  # what is saved, not what the refused form carried
