"""`activity`, `inactive-users` and `inactive-users/deactivate`."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from conftest import Tenant
from scim_server import db
from scim_server.models import (Account, AuditEvent, Organization, OutboxMessage,
                                ProductActivity, utcnow)
from scim_server.services import admin_keys
from scim_server.services.actors import Actor
from tests.admin.conftest import AdminClient, problem


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def product_service(app: Flask, admin: AdminClient, tenant: Tenant) -> AdminClient:
    with app.app_context():
        session = db.new_session(app)
        org = session.get_one(Organization, tenant.org_id)
        key = admin_keys.issue_admin_key(session, org, ["product-service"], Actor.cli())
        session.commit()
        session.close()
    return admin.with_key(key.secret)


@pytest.fixture
def age(app: Flask) -> Callable[..., None]:
    """Set when an account was created and last active, `days` ago (None: never active)."""

    def _age(account_id: str, created: int, last_active: int | None = None,
             org_admin: bool = False) -> None:
        with app.app_context():
            session = db.new_session(app)
            account = session.get_one(Account, account_id)
            account.created_at = utcnow() - timedelta(days=created)
            account.last_active_at = (None if last_active is None
                                      else utcnow() - timedelta(days=last_active))
            account.is_org_admin = org_admin
            session.commit()
            session.close()

    return _age


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
        session.close()
    return found


def test_products_report_activity_per_product_and_overall(
        app: Flask, admin: AdminClient, product_service: AdminClient,
        make_account: Callable[..., str], make_product: Callable[..., dict[str, Any]]) -> None:
    ann = make_account("ann@acme.test")
    jira, wiki = make_product("jira"), make_product("wiki")
    earlier, later = utcnow() - timedelta(days=3), utcnow() - timedelta(hours=1)
    first = product_service.post("/activity", json={"email": "Ann@Acme.test",
                                                    "product_id": jira["id"], "at": iso(later)})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["account_id"] == ann
    late = product_service.post("/activity", json={"account_id": ann, "product_id": jira["id"],
                                                   "at": iso(earlier)}).get_json()
    assert late["last_active_at"] == first.get_json()["last_active_at"]  # never moves back
    wiki_report = product_service.post("/activity", json={"account_id": ann,
                                                          "product_id": wiki["id"],
                                                          "at": iso(earlier)}).get_json()
    assert wiki_report["last_active_at"] < wiki_report["account_last_active_at"]
    now_report = product_service.post("/activity", json={"account_id": ann,
                                                         "product_id": wiki["id"]}).get_json()
    assert now_report["account_last_active_at"] == now_report["last_active_at"] > iso(later)
    user = admin.get(f"/users/{ann}").get_json()
    assert user["last_active"] == now_report["account_last_active_at"]
    assert user["invitation_status"] == "has_site_access"
    assert count(app, ProductActivity) == 2
    assert count(app, AuditEvent, AuditEvent.action == "activity.first_seen") == 2
    problem(product_service.post("/activity", json={
        "account_id": ann, "product_id": jira["id"],
        "at": iso(utcnow() + timedelta(days=1))}), 422)
    problem(product_service.post("/activity", json={"email": "x@acme.test",
                                                    "product_id": jira["id"]}), 404)
    problem(product_service.post("/activity", json={"account_id": ann, "product_id": "nope"}),
            404)
    problem(product_service.post("/activity", json={"product_id": jira["id"]}), 422)
    problem(product_service.post("/activity", json={"account_id": ann, "product_id": jira["id"],
                                                    "at": "2026-01-01T00:00:00"}), 422)
    problem(product_service.get("/inactive-users?days=30"), 403)


def test_inactive_users_are_billable_accounts_unseen_for_n_days(
        admin: AdminClient, make_account: Callable[..., str],
        make_product: Callable[..., dict[str, Any]], make_synced_group: Callable[..., str],
        age: Callable[..., None], site_id: str) -> None:
    jira, wiki = make_product("jira", name="Jira"), make_product("wiki", name="Wiki")
    people = {name: make_account(f"{name}@acme.test") for name in (
        "stale", "never", "fresh", "seatless", "asleep", "boss", "removed", "newbie", "grouped")}
    for name in ("stale", "never", "fresh", "asleep", "boss", "removed", "newbie"):
        admin.put(f"/products/{jira['id']}/grants/users/{people[name]}", json={"role": "user"})
    admin.put(f"/products/{wiki['id']}/grants/users/{people['stale']}", json={"role": "user"})
    group = make_synced_group("Readers", users=(people["grouped"],))
    admin.put(f"/products/{wiki['id']}/grants/groups/{group}", json={"role": "user"})
    age(people["stale"], created=400, last_active=120)
    age(people["never"], created=200)
    age(people["fresh"], created=400, last_active=2)
    age(people["seatless"], created=400, last_active=200)
    age(people["asleep"], created=400, last_active=200)
    age(people["boss"], created=400, last_active=200, org_admin=True)
    age(people["removed"], created=400, last_active=200)
    age(people["newbie"], created=3)
    age(people["grouped"], created=400, last_active=95)
    admin.post(f"/users/{people['asleep']}/deactivate")
    admin.delete(f"/users/{people['removed']}/sites/{site_id}")
    listed = admin.get("/inactive-users?days=90&limit=2").get_json()
    assert listed["meta"]["total"] == 3
    rows = listed["data"] + admin.get(listed["links"]["next"].replace("http://scim.test", "")
                                      ).get_json()["data"]
    seats = {r["email"]: sorted(s["product_name"] for s in r["seats"]) for r in rows}
    assert seats == {"stale@acme.test": ["Jira", "Wiki"], "never@acme.test": ["Jira"],
                     "grouped@acme.test": ["Wiki"]}
    assert {r["email"] for r in admin.get("/inactive-users?days=100").get_json()["data"]} \
        == {"stale@acme.test", "never@acme.test"}
    problem(admin.get("/inactive-users"), 400)
    problem(admin.get("/inactive-users?days=0"), 400)


def test_dry_run_changes_nothing_and_the_sweep_reclaims_exactly_those_seats(
        app: Flask, admin: AdminClient, make_account: Callable[..., str],
        make_product: Callable[..., dict[str, Any]], age: Callable[..., None],
        site_id: str) -> None:
    admin.patch(f"/sites/{site_id}", json={"url": "https://acme.example"})
    jira = make_product("jira", name="Jira", seat_limit=10)
    stale = [make_account(f"s{i}@acme.test") for i in range(3)]
    fresh = make_account("fresh@acme.test")
    for account in (*stale, fresh):
        admin.put(f"/products/{jira['id']}/grants/users/{account}", json={"role": "user"})
        age(account, created=400, last_active=1 if account == fresh else 60)

    def used() -> int:
        rows = admin.get("/licences").get_json()["data"]
        return int(next(r["used"] for r in rows if r["product_id"] == jira["id"]))

    events = count(app, AuditEvent)
    dry = admin.post("/inactive-users/deactivate", json={"days": 30, "dry_run": True,
                                                         "notify": True})
    assert dry.status_code == 200, dry.get_json()
    plan = dry.get_json()
    assert plan["dry_run"] is True and {a["id"] for a in plan["accounts"]} == set(stale)
    assert plan["seats_reclaimed"] == [{"product_id": jira["id"], "product_name": "Jira",
                                        "seats": 3}]
    assert (used(), count(app, AuditEvent), count(app, OutboxMessage)) == (4, events, 0)
    problem(admin.post("/inactive-users/deactivate", json={"days": 30, "dry_run": "yes"}), 422)
    problem(admin.post("/inactive-users/deactivate", json={"dry_run": True}), 422)
    done = admin.post("/inactive-users/deactivate", json={"days": 30, "notify": True}).get_json()
    assert done["dry_run"] is False
    assert [a["id"] for a in done["accounts"]] == [a["id"] for a in plan["accounts"]]
    assert done["seats_reclaimed"] == plan["seats_reclaimed"] and done["notified"] == 3
    assert used() == 1
    assert {admin.get(f"/users/{a}").get_json()["status"] for a in stale} == {"deactivated"}
    assert count(app, AuditEvent, AuditEvent.action == "users.inactive_deactivated") == 1
    assert count(app, AuditEvent, AuditEvent.action == "user.deactivated") == 3
    with app.app_context():
        session = db.new_session(app, writes=False)
        mails = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.to)))
        session.close()
    assert [(m.to, m.template) for m in mails] == [
        (f"s{i}@acme.test", "deactivation_notice") for i in range(3)]
    assert "ask for access" in mails[0].body_text
    assert f"http://scim.test/request-access?product={jira['id']}" in mails[0].body_text
    assert "Jira" in mails[0].body_text and "30 days" in mails[0].body_text
    again = admin.post("/inactive-users/deactivate", json={"days": 30}).get_json()
    assert (again["accounts"], again["seats_reclaimed_total"]) == ([], 0)
