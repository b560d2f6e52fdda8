"""Access requests pages: list across sites, review, approve with a role, deny with a
message, reopen, refusals as messages, the "User interests" tab."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import ScimClient, Tenant
from scim_server import db
from scim_server.models import AccessRequest, Account, AuditEvent, utcnow
from tests.admin.test_deprovisioned_requests import provision
from tests.console.conftest import AdminClient, Console


@pytest.fixture
def person(app: Flask, make_account: Callable[..., str]) -> Callable[..., str]:
    """An account with a confirmed address, as invitations or a directory make it."""

    def _make(email: str, **kwargs: Any) -> str:
        account_id = make_account(email, **kwargs)
        with app.app_context():
            session = db.new_session(app)
            session.get_one(Account, account_id).email_verified = True
            session.commit()
            session.close()
        return account_id

    return _make


def file(admin: AdminClient, account_id: str, product_id: str, reason: str | None = None
         ) -> str:
    response = admin.post("/access-requests", json={"account_id": account_id,
                                                    "product_id": product_id,
                                                    "reason": reason})
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def api_request(admin: AdminClient, request_id: str) -> dict[str, Any]:
    return dict(admin.get(f"/access-requests/{request_id}").get_json())


def test_the_list_spans_sites_newest_first_and_filters_by_status(
        app: Flask, signed_in: Console, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    second_site = admin.post("/sites", json={"name": "Second"}).get_json()["id"]
    jira, bamboo = make_product("jira", "Jira"), make_product("bamboo", "Bamboo",
                                                              site=second_site)
    ann, bob = person("ann@acme.test", name="Ann"), person("bob@acme.test", name="Bob")
    first = file(admin, ann, jira["id"], "sprint planning")
    second = file(admin, bob, bamboo["id"])
    with app.app_context():  # make the order unambiguous
        session = db.new_session(app)
        session.get_one(AccessRequest, first).created_at = utcnow() - timedelta(hours=2)
        session.commit()
        session.close()
    admin.post(f"/access-requests/{first}/deny", json={"message": "No"})
    pending = signed_in.get("access-requests").get_data(as_text=True)
    assert f'data-request="{second}"' in pending and f'data-request="{first}"' not in pending
    assert "Bamboo" in pending and "Second" in pending and ">Review<" in pending
    everyone = signed_in.get("access-requests?status=all").get_data(as_text=True)
    assert everyone.index(f'data-request="{second}"') < everyone.index(f'data-request="{first}"')
    denied = signed_in.get("access-requests?status=denied").get_data(as_text=True)
    assert f'data-request="{first}"' in denied and f'data-request="{second}"' not in denied
    junk = signed_in.get("access-requests?status=nope&cursor=!!!")
    assert junk.status_code == 200  # junk filters fall back to the defaults
    nul = signed_in.get("access-requests?status=%00nope")
    assert nul.status_code == 400  # the console's input guard: a page that says to retype


def test_pages_are_keyset_pages_of_50(app: Flask, signed_in: Console, admin: AdminClient,
                                      person: Callable[..., str],
                                      make_product: Callable[..., dict[str, Any]]) -> None:
    products = [make_product(f"p{i}", f"P{i}") for i in range(3)]
    people = [person(f"u{i}@acme.test") for i in range(18)]
    ids = {file(admin, who, p["id"]) for who in people for p in products}  # 54
    first = signed_in.get("access-requests").get_data(as_text=True)
    assert first.count("data-request=") == 50
    next_url = first.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    second = signed_in.get(next_url.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count("data-request=") == 4
    shown = {chunk.split('"', 1)[0] for html in (first, second)
             for chunk in html.split('data-request="')[1:]}
    assert shown == ids


def test_review_shows_what_the_api_knows_and_approve_grants_the_chosen_role(
        app: Flask, signed_in: Console, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]], make_synced_group: Callable[..., str]
        ) -> None:
    ann = person("ann@acme.test", name="Ann", synced=True)
    make_synced_group("Engineering", users=(ann,))
    wiki, jira = make_product("wiki", "Wiki"), make_product("jira", "Jira", seat_limit=3)
    admin.put(f"/products/{wiki['id']}/grants/users/{ann}", json={"role": "user"})
    request_id = file(admin, ann, jira["id"], "sprint planning")
    page = f"access-requests/{request_id}"
    html = signed_in.get(page).get_data(as_text=True)
    for expected in ("Ann", "ann@acme.test", "Synced from a directory", "Engineering",
                     "Wiki (User)", "3 of 3", "sprint planning", "Never", ">Approve<",
                     ">Deny access<", ">Active<"):
        assert expected in html, expected
    response = signed_in.post_form(page, f"{page}/approve", {"role": "admin"})
    assert response.status_code == 302
    doc = api_request(admin, request_id)
    assert (doc["status"], doc["role"]) == ("approved", "admin")
    assert {"product_id": jira["id"], "role": "admin"} in doc["account"]["product_access"]
    assert doc["decided_by"].startswith("account:")
    after = signed_in.get(page).get_data(as_text=True)
    assert "Approved: Jira (Admin) granted" in after and ">Approve<" not in after
    with app.app_context():
        session = db.new_session(app, writes=False)
        admin_id = session.scalars(select(Account.id).where(
            Account.email == "admin@acme.test")).one()
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "access_request.approved")).one()
        session.close()
    assert (event.actor_type, event.actor_id, event.target_id) == ("account", admin_id, ann)


def test_approving_with_the_default_role_reactivates_a_swept_person(
        signed_in: Console, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira", "Jira")
    sam = person("sam@acme.test")
    admin.post(f"/users/{sam}/deactivate", json={})
    request_id = file(admin, sam, jira["id"])
    page = f"access-requests/{request_id}"
    assert "Deactivated" in signed_in.get(page).get_data(as_text=True)
    signed_in.post_form(page, f"{page}/approve", {"role": "user"})
    assert admin.get(f"/users/{sam}").get_json()["status"] == "active"
    assert api_request(admin, request_id)["role"] == "user"


def test_deny_needs_a_message_then_reopen_lifts_it(
        signed_in: Console, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira", "Jira")
    request_id = file(admin, person("ann@acme.test"), jira["id"])
    page = f"access-requests/{request_id}"
    for blank in ("", "   "):
        refused = signed_in.post_form(page, f"{page}/deny", {"message": blank})
        assert refused.status_code == 422
        assert "Write a message: the person sees it." in refused.get_data(as_text=True)
    assert api_request(admin, request_id)["status"] == "pending"
    too_long = signed_in.post_form(page, f"{page}/deny", {"message": "x" * 2001})
    assert too_long.status_code == 422
    signed_in.post_form(page, f"{page}/deny", {"message": "Use Confluence instead"})
    doc = api_request(admin, request_id)
    assert (doc["status"], doc["decision_message"]) == ("denied", "Use Confluence instead")
    html = signed_in.get(page).get_data(as_text=True)
    assert "Use Confluence instead" in html and ">Reopen<" in html
    signed_in.post_form(page, f"{page}/reopen")
    assert api_request(admin, request_id)["reopened_at"]
    assert ">Reopen<" not in signed_in.get(page).get_data(as_text=True)
    # Approving a denied request is a clash, shown as a page, not a 500.
    clash = signed_in.post_form(page, f"{page}/approve", {"role": "user"})
    assert clash.status_code == 409


def test_refusals_are_messages_and_decide_nothing(
        signed_in: Console, admin: AdminClient, scim: ScimClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira", "Jira", seat_limit=1)
    gone = provision(scim, "gone@acme.test")
    gone_request = file(admin, gone, jira["id"])
    assert scim.delete(f"/Users/{gone}").status_code == 204
    page = f"access-requests/{gone_request}"
    shown = signed_in.post_form(page, f"{page}/approve", {"role": "user"},
                                follow_redirects=True).get_data(as_text=True)
    assert "Not approved: Deprovisioned by the identity provider" in shown
    assert "only that identity provider can bring them back" in shown
    assert api_request(admin, gone_request)["status"] == "pending"
    assert admin.get(f"/users/{gone}").get_json()["status"] == "deactivated"

    holder, asker = person("holder@acme.test"), person("asker@acme.test")
    admin.put(f"/products/{jira['id']}/grants/users/{holder}", json={"role": "user"})
    full = file(admin, asker, jira["id"])
    page = f"access-requests/{full}"
    shown = signed_in.post_form(page, f"{page}/approve", {"role": "user"},
                                follow_redirects=True).get_data(as_text=True)
    assert "seat limit reached" in shown and "0 of 1" in shown
    assert api_request(admin, full)["status"] == "pending"
    bad_role = signed_in.post_form(page, f"{page}/approve", {"role": "owner"})
    assert bad_role.status_code == 422
    assert api_request(admin, full)["status"] == "pending"


def test_user_interests_windows_and_trend(
        app: Flask, signed_in: Console, admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira", "Jira")
    recent = [file(admin, person(f"r{i}@acme.test"), jira["id"]) for i in range(3)]
    older = file(admin, person("old@acme.test"), jira["id"])
    with app.app_context():
        session = db.new_session(app)
        session.get_one(AccessRequest, older).created_at = utcnow() - timedelta(days=10)
        session.commit()
        session.close()
    admin.post(f"/access-requests/{recent[0]}/approve", json={})
    week = signed_in.get("user-interests?window=7d").get_data(as_text=True)
    row = week.split(f'data-product="{jira["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="requests">3</td>' in row
    assert "Up 2 (+200.0%)" in row  # 3 this week against 1 the week before
    api = admin.get("/user-interests?window=7d").get_json()["data"][0]
    assert (api["requests"], api["previous_requests"], api["approved"]) == (3, 1, 1)
    month = signed_in.get("user-interests?window=30d").get_data(as_text=True)
    assert '<td class="requests">4</td>' in month and "Up 4 (none before)" in month
    assert signed_in.get("user-interests?window=junk").status_code == 200


def test_csrf_other_orgs_and_the_user_access_admin(
        app: Flask, client: Any, tenant: Tenant, make_admin: Callable[..., str],
        admin: AdminClient, person: Callable[..., str],
        make_product: Callable[..., dict[str, Any]], make_tenant: Callable[..., Tenant]) -> None:
    jira = make_product("jira", "Jira")
    request_id = file(admin, person("ann@acme.test"), jira["id"])
    make_admin(tenant, email="helpdesk@acme.test", role="user_access_admin")
    helpdesk = Console(client, app).sign_in("helpdesk@acme.test", tenant.org_id)
    base = f"/console/orgs/{tenant.org_id}/access-requests/{request_id}"
    for action in ("approve", "deny", "reopen"):
        assert helpdesk.client.post(f"{base}/{action}", data={"role": "user",
                                                              "message": "x"}).status_code == 400
    assert api_request(admin, request_id)["status"] == "pending"
    # A user-access admin reviews and decides requests (the foundation's "requests" area).
    assert helpdesk.get("access-requests").status_code == 200
    assert helpdesk.get("user-interests").status_code == 200
    page = f"access-requests/{request_id}"
    helpdesk.post_form(page, f"{page}/approve", {"role": "user"})
    assert api_request(admin, request_id)["status"] == "approved"
    # Another organization's request, through our own organization's URLs: 404.
    other = make_tenant("Globex")
    globex = AdminClient(client, other)
    theirs_product = make_product("jira", "Jira", client=globex,
                                  site=globex.get("/sites").get_json()["data"][0]["id"])
    with app.app_context():
        session = db.new_session(app)
        stranger = Account(org_id=other.org_id, email="s@globex.test",
                           email_norm="s@globex.test", email_verified=True, status="active",
                           source="invited")
        session.add(stranger)
        session.commit()
        stranger_id = stranger.id
        session.close()
    theirs = file(AdminClient(client, other), stranger_id, theirs_product["id"])
    assert helpdesk.get(f"access-requests/{theirs}").status_code == 404
    for action in ("approve", "deny", "reopen"):
        response = helpdesk.post_form("access-requests", f"access-requests/{theirs}/{action}",
                                      {"role": "user", "message": "no"})
        assert response.status_code == 404, action
    assert AdminClient(client, other).get(f"/access-requests/{theirs}").get_json()["status"] == \
        "pending"
