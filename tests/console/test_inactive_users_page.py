"""Inactive users page: the dry run lists who and which seats; "Deactivate user" sweeps
them with the admin API's service (same accounts, same audit event, the admin as actor)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, AuditEvent, OutboxMessage, utcnow
from tests.console.conftest import AdminClient, Console


@pytest.fixture
def age(app: Flask) -> Callable[..., None]:
    def _age(account_id: str, created: int, last_active: int | None = None) -> None:
        with app.app_context():
            session = db.new_session(app)
            account = session.get_one(Account, account_id)
            account.created_at = utcnow() - timedelta(days=created)
            account.last_active_at = (None if last_active is None
                                      else utcnow() - timedelta(days=last_active))
            session.commit()
            session.close()
    return _age


@pytest.fixture
def people(admin: AdminClient, make_account: Callable[..., str],
           make_product: Callable[..., dict[str, Any]], age: Callable[..., None]
           ) -> dict[str, str]:
    """Two sleepers holding Jira (one also Wiki), one active person, one seatless sleeper."""
    jira, wiki = make_product("jira", "Jira"), make_product("wiki", "Wiki")
    found = {name: make_account(f"{name}@acme.test", name=name.title())
             for name in ("sleepy", "dozy", "busy", "seatless")}
    for name in ("sleepy", "dozy", "busy"):
        admin.put(f"/products/{jira['id']}/grants/users/{found[name]}", json={"role": "user"})
    admin.put(f"/products/{wiki['id']}/grants/users/{found['dozy']}", json={"role": "user"})
    age(found["sleepy"], created=400, last_active=120)
    age(found["dozy"], created=300)  # never active: counted from creation
    age(found["busy"], created=400, last_active=3)
    age(found["seatless"], created=400, last_active=200)
    return {**found, "jira": jira["id"], "wiki": wiki["id"]}


def _status(admin: AdminClient, account_id: str) -> str:
    return str(admin.get(f"/users/{account_id}").get_json()["status"])


def test_dry_run_lists_who_and_the_seats_it_frees_and_changes_nothing(
        signed_in: Console, admin: AdminClient, people: dict[str, str]) -> None:
    response = signed_in.get("inactive-users")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = html.split('id="inactive"', 1)[1].split("</table>", 1)[0]
    assert "sleepy@acme.test" in table and "dozy@acme.test" in table
    assert "busy@acme.test" not in table and "seatless@acme.test" not in table
    assert 'data-count="2" data-seats="3"' in html  # Jira 2 + Wiki 1
    assert "Jira 2, Wiki 1" in html and "Never" in table
    assert "Deactivate user" in html
    # The same people as the admin API's own dry run.
    api = admin.post("/inactive-users/deactivate", json={"days": 90, "dry_run": True}).get_json()
    assert sorted(a["id"] for a in api["accounts"]) == sorted([people["sleepy"], people["dozy"]])
    assert _status(admin, people["sleepy"]) == "active"
    # A narrower window: 200 days catches only dozy... and nobody at 1000.
    wide = signed_in.get("inactive-users?days=200").get_data(as_text=True)
    assert "dozy@acme.test" in wide and "sleepy@acme.test" not in wide
    assert "Nobody holding a seat" in signed_in.get("inactive-users?days=1000").get_data(True)


def test_deactivate_with_a_notice_sweeps_exactly_the_dry_run(
        app: Flask, signed_in: Console, admin: AdminClient, people: dict[str, str]) -> None:
    response = signed_in.post_form("inactive-users", "inactive-users/deactivate", {
        "days": "90", "notify": "y", "message": "We freed your seat; ask to come back."})
    assert response.status_code == 302
    assert "done=1" in response.headers["Location"]
    for name, status in (("sleepy", "deactivated"), ("dozy", "deactivated"),
                         ("busy", "active"), ("seatless", "active")):
        assert _status(admin, people[name]) == status, name
    with app.app_context():
        session = db.new_session(app, writes=False)
        admin_id = session.scalars(select(Account.id).where(
            Account.email == "admin@acme.test")).one()
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "users.inactive_deactivated")).one()
        notices = session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "deactivation_notice")).all()
        session.close()
    assert (event.actor_type, event.actor_id) == ("account", admin_id)
    assert sorted(event.changes["accounts"]) == sorted([people["sleepy"], people["dozy"]])
    assert event.changes["seats_reclaimed"] == {people["jira"]: 2, people["wiki"]: 1}
    assert sorted(m.to for m in notices) == ["dozy@acme.test", "sleepy@acme.test"]
    assert all("We freed your seat" in m.body_text for m in notices)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="deactivated-count">2<' in page and 'id="notified-count">2<' in page
    assert "Deactivated 2 user(s)" in page and "3 seat(s) freed" in page
    assert 'data-count="0"' in page  # the dry run is empty now


def test_without_notify_nobody_is_emailed(app: Flask, signed_in: Console, admin: AdminClient,
                                          people: dict[str, str]) -> None:
    signed_in.post_form("inactive-users", "inactive-users/deactivate", {"days": "90"})
    assert _status(admin, people["sleepy"]) == "deactivated"
    with app.app_context():
        session = db.new_session(app, writes=False)
        sent = session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.template == "deactivation_notice")).all()
        session.close()
    assert sent == []


@pytest.mark.parametrize("days", ["0", "-5", "abc", "99999", "", "1e3", "\x00"])
def test_junk_days_give_a_page_not_a_500(signed_in: Console, admin: AdminClient,
                                         people: dict[str, str], days: str) -> None:
    response = signed_in.get("inactive-users", query_string={"days": days})
    if days == "\x00":  # the console's input guard answers first: a page saying to retype
        assert response.status_code == 400 and "retype" in response.get_data(as_text=True)
    else:
        assert response.status_code in (200, 422)
        assert "Inactive users" in response.get_data(as_text=True)
    posted = signed_in.post_form("inactive-users", "inactive-users/deactivate",
                                 {"days": days, "notify": "y"}, follow_redirects=True)
    assert posted.status_code == (400 if days == "\x00" else 200)
    if days != "\x00":
        assert "Nobody was deactivated" in posted.get_data(as_text=True)
    assert _status(admin, people["sleepy"]) == "active"


def test_a_too_long_message_deactivates_nobody(signed_in: Console, admin: AdminClient,
                                               people: dict[str, str]) -> None:
    signed_in.post_form("inactive-users", "inactive-users/deactivate",
                        {"days": "90", "message": "x" * 2001})
    assert _status(admin, people["sleepy"]) == "active"


def test_csrf_is_refused_and_a_user_access_admin_may_sweep(
        app: Flask, client: Any, tenant: Tenant, make_admin: Callable[..., str],
        admin: AdminClient, people: dict[str, str]) -> None:
    make_admin(tenant, email="helpdesk@acme.test", role="user_access_admin")
    helpdesk = Console(client, app).sign_in("helpdesk@acme.test", tenant.org_id)
    refused = helpdesk.client.post(f"/console/orgs/{tenant.org_id}/inactive-users/deactivate",
                                   data={"days": "90"})
    assert refused.status_code == 400
    assert _status(admin, people["sleepy"]) == "active"
    nav = helpdesk.get("users").get_data(as_text=True).split('<nav class="nav"', 1)[1]
    assert ">Inactive users<" in nav.split("</nav>", 1)[0]
    assert helpdesk.get("inactive-users").status_code == 200
    helpdesk.post_form("inactive-users", "inactive-users/deactivate", {"days": "90"})
    assert _status(admin, people["sleepy"]) == "deactivated"


def test_another_organizations_page_is_404(signed_in: Console,
                                           make_tenant: Callable[..., Tenant]) -> None:
    other = make_tenant("Globex")
    assert signed_in.get(f"/console/orgs/{other.org_id}/inactive-users").status_code == 404
    response = signed_in.post_form("inactive-users",
                                   f"/console/orgs/{other.org_id}/inactive-users/deactivate",
                                   {"days": "90"})
    assert response.status_code == 404


def test_a_long_list_shows_the_first_rows_and_counts_everyone(
        app: Flask, signed_in: Console, admin: AdminClient, people: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scim_server.console import inactive_users as page
    monkeypatch.setattr(page, "SHOWN", 1)
    html = signed_in.get("inactive-users").get_data(as_text=True)
    assert html.count("<tr data-account=") == 1
    assert 'data-count="2" data-seats="3"' in html
    assert "The first 1 are listed; all 2 are deactivated." in html
