"""Console security: CSRF on every form, other organizations' ids, roles, audit actor."""
from __future__ import annotations

import re
from typing import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.models import AuditEvent
from tests.console.conftest import Console


def console_routes(app: Flask, method: str) -> list[str]:
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if r.rule.startswith("/console/") and method in (r.methods or ()))


def fill(rule: str, org_id: str, ids: dict[str, str]) -> str:
    return re.sub(r"<(\w+)>", lambda m: org_id if m.group(1) == "org_id"
                  else ids.get(m.group(1), "no-such-id"), rule)


@pytest.fixture
def world(tenant: Tenant, make_account: Callable[..., str], make_product: Callable[..., dict],
          make_synced_group: Callable[..., str]) -> dict[str, str]:
    account = make_account("someone@acme.test")
    return {"account_id": account, "product_id": make_product()["id"],
            "group_id": make_synced_group("Engineering", users=(account,)),
            "member_id": account,
            "directory_id": tenant.directory_id, "token_id": "t-1", "message_id": "m-1"}


def test_every_console_post_refuses_a_missing_csrf_token(app: Flask, signed_in: Console,
                                                         tenant: Tenant, world: dict) -> None:
    posts = console_routes(app, "POST")
    assert len(posts) >= 15  # sign-in, sign out, and every page's actions
    before = _event_count(app)
    for rule in posts:
        response = signed_in.client.post(fill(rule, tenant.org_id, world),
                                         data={"email": "x@acme.test", "emails": "x@acme.test",
                                               "name": "G", "product": world["product_id"]})
        assert response.status_code == 400, rule
        assert "This form has expired" in response.get_data(as_text=True), rule
    assert _event_count(app) == before  # nothing changed


def _event_count(app: Flask) -> int:
    with app.app_context():
        session = db.new_session(app, writes=False)
        count = len(session.scalars(select(AuditEvent.id)).all())
        session.close()
    return count


def test_another_organizations_ids_answer_404(app: Flask, signed_in: Console, tenant: Tenant,
                                              make_tenant: Callable[..., Tenant],
                                              make_account: Callable[..., str],
                                              world: dict) -> None:
    other = make_tenant("Globex")
    for rule in console_routes(app, "GET"):
        if "<org_id>" not in rule:
            continue
        response = signed_in.get(fill(rule, other.org_id, world))
        assert response.status_code == 404, rule
        assert "Page not found" in response.get_data(as_text=True) or \
            "Not found" in response.get_data(as_text=True)
    # Their user, in our organization's URLs: 404 as well, for reads and for changes.
    theirs = make_account("them@globex.test", org_id=other.org_id)
    assert signed_in.get(f"users/{theirs}").status_code == 404
    response = signed_in.post_form("users", f"users/{theirs}/deactivate")
    assert response.status_code == 404


def test_a_user_access_admin_cannot_reach_organization_pages(
        app: Flask, client, tenant: Tenant, make_admin: Callable[..., str],
        world: dict) -> None:
    make_admin(tenant, email="helpdesk@acme.test", role="user_access_admin")
    helpdesk = Console(client, app).sign_in("helpdesk@acme.test", tenant.org_id)
    assert helpdesk.get("users").status_code == 200
    assert helpdesk.get("invite").status_code == 200
    for page in ("products", "groups", f"groups/{world['group_id']}"):
        response = helpdesk.get(page)
        assert response.status_code == 403, page
        assert "Only organization admins" in response.get_data(as_text=True)
    html = helpdesk.get("users").get_data(as_text=True)
    nav = html.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    assert ">Users<" in nav and ">Invite users<" in nav
    assert ">Products<" not in nav and ">Groups<" not in nav
    refused = helpdesk.post_form("users", f"groups/{world['group_id']}/grant",
                                 {"product": world["product_id"], "role": "user"})
    assert refused.status_code == 403


def test_a_console_action_is_audited_with_the_admins_account(
        app: Flask, signed_in: Console, tenant: Tenant, make_account: Callable[..., str]
        ) -> None:
    target = make_account("leaver@acme.test")
    response = signed_in.post_form(f"users/{target}", f"users/{target}/deactivate",
                                   {"message": "Thanks for everything"})
    assert response.status_code == 302
    with app.app_context():
        session = db.new_session(app, writes=False)
        admin_id = session.scalars(select(AuditEvent.actor_id).where(
            AuditEvent.action == "console.signed_in")).one()
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "user.deactivated")).one()
        session.close()
    assert (event.actor_type, event.actor_id, event.target_id) == ("account", admin_id, target)
    assert event.changes["message_sent"] is True  # the same event the API writes


def test_unknown_console_urls_get_a_console_page(console: Console) -> None:
    response = console.get("/console/nowhere")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_no_input_gets_a_500(app: Flask, signed_in: Console, tenant: Tenant,
                             world: dict) -> None:
    """Junk in every form and every query string: refusals, never a server error."""
    junk_ids = {k: "nope" for k in world}
    junk = {"email": "x", "emails": "\x00,,;", "name": "", "product": "nope", "role": "owner",
            "site": "nope", "site_role": "root", "account": ["nope", world["account_id"]],
            "message": "m" * 5000, "token": "t", "products": ["nope"], "groups": ["nope"],
            "resend": "Resend invite"}
    for ids in (world, junk_ids):
        for rule in console_routes(app, "POST"):
            if rule == "/console/logout":
                continue
            response = signed_in.post_form("users", fill(rule, tenant.org_id, ids), junk)
            assert response.status_code < 500, (rule, response.status_code)
        for rule in console_routes(app, "GET"):
            response = signed_in.get(fill(rule, tenant.org_id, ids) + "?cursor=%ff&q=%00&"
                                     "status=x&product=y&invitation=z&last_active=w&token=1")
            assert response.status_code < 500, (rule, response.status_code)
