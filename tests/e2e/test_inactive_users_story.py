"""The admin's story (shared/reference): deactivate 123 people who stopped using the
products, to stop paying for them, while letting them ask to come back.

A dry run first; the seats come back; one of them later asks for access; the admins get
an email; approval brings the person back with their old groups and data; another is
denied with a message, receives it, and cannot ask again until an admin reopens it.
Every email travels over real SMTP on loopback, delivered by the outbox worker.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from conftest import Tenant
from scim_server import db
from scim_server.models import (Account, AuditEvent, Group, GroupMember, Organization,
                                ProductGrant, Site, utcnow)
from scim_server.services import admin_keys
from scim_server.services.actors import Actor
from tests.admin.conftest import AdminClient, problem
from tests.smtp_support import Received, SmtpServer, deliver_all

INACTIVE, ACTIVE = 123, 7


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


def deliver(app: Flask, server: SmtpServer) -> list[Received]:
    """Run the outbox worker once against the loopback server; everything it has received."""
    deliver_all(app, server)
    return server.received


def to(received: list[Received], address: str) -> list[Received]:
    return [r for r in received if address in r.recipients]


def seed(app: Flask, tenant: Tenant, jira: str, confluence: str) -> dict[str, Any]:
    """An admin, 123 people unseen for four months and 7 who use the products daily."""
    with app.app_context():
        session = db.new_session(app)
        long_ago = utcnow() - timedelta(days=400)
        session.add(Account(org_id=tenant.org_id, email="valeria@acme.test",
                            email_norm="valeria@acme.test", email_verified=True,
                            is_org_admin=True, display_name="Valeria", created_at=long_ago))
        group = Group(org_id=tenant.org_id, directory_id=tenant.directory_id, source="synced",
                      display_name="jira-users", display_name_norm="jira-users", attributes={},
                      member_count=INACTIVE + ACTIVE)
        session.add(group)
        people = []
        for index in range(INACTIVE + ACTIVE):
            inactive = index < INACTIVE
            account = Account(
                org_id=tenant.org_id, email=f"user{index:03}@acme.test",
                email_norm=f"user{index:03}@acme.test", email_verified=True,
                source="synced", directory_id=tenant.directory_id, has_accessed=True,
                created_at=long_ago,
                last_active_at=utcnow() - timedelta(days=120 if inactive else 400))
            session.add(account)
            people.append(account)
        session.flush()
        for account in people:
            session.add(GroupMember(group_id=group.id, member_id=account.id, member_type="User"))
        session.add(ProductGrant(org_id=tenant.org_id, product_id=jira, group_id=group.id,
                                 role="user"))
        for account in people[:40]:
            session.add(ProductGrant(org_id=tenant.org_id, product_id=confluence,
                                     account_id=account.id, role="user"))
        session.commit()
        ids = {"group": group.id, "people": [p.id for p in people]}
        session.close()
    return ids


def used(admin: AdminClient) -> dict[str, int]:
    return {r["product_key"]: r["used"] for r in admin.get("/licences").get_json()["data"]}


def test_reclaim_inactive_licences_and_let_people_come_back(
        app: Flask, client: FlaskClient, tenant: Tenant, smtp: SmtpServer) -> None:
    admin = AdminClient(client, tenant)
    site = admin.get("/sites").get_json()["data"][0]["id"]
    admin.patch(f"/sites/{site}", json={"url": "https://acme.example"})
    jira = admin.post("/products", json={"site_id": site, "key": "jira", "name": "Jira",
                                         "seat_limit": 135}).get_json()["id"]
    confluence = admin.post("/products", json={"site_id": site, "key": "confluence",
                                               "name": "Confluence", "seat_limit": 40}
                            ).get_json()["id"]
    ids = seed(app, tenant, jira, confluence)
    with app.app_context():
        session = db.new_session(app)
        org = session.get_one(Organization, tenant.org_id)
        product_key = admin_keys.issue_admin_key(session, org, ["product-service"], Actor.cli())
        session.commit()
        session.close()
    product = admin.with_key(product_key.secret)
    # The seven people who use Jira every day say so through the product.
    for account_id in ids["people"][INACTIVE:]:
        reported = product.post("/activity", json={"account_id": account_id, "product_id": jira})
        assert reported.status_code == 200
    assert used(admin) == {"jira": INACTIVE + ACTIVE, "confluence": 40}
    assert admin.get("/inactive-users?days=90").get_json()["meta"]["total"] == INACTIVE

    # A dry run first: exactly who, and which seats come back; nothing changes.
    plan = admin.post("/inactive-users/deactivate", json={"days": 90, "dry_run": True}).get_json()
    assert plan["dry_run"] is True and len(plan["accounts"]) == INACTIVE
    assert {a["id"] for a in plan["accounts"]} == set(ids["people"][:INACTIVE])
    assert {r["product_id"]: r["seats"] for r in plan["seats_reclaimed"]} == {
        jira: INACTIVE, confluence: 40}
    assert used(admin) == {"jira": INACTIVE + ACTIVE, "confluence": 40}

    # Then for real, telling each person how to come back.
    done = admin.post("/inactive-users/deactivate", json={"days": 90, "notify": True}).get_json()
    assert (done["dry_run"], len(done["accounts"]), done["notified"]) == (False, INACTIVE,
                                                                          INACTIVE)
    assert done["seats_reclaimed"] == plan["seats_reclaimed"]
    assert used(admin) == {"jira": ACTIVE, "confluence": 0}
    received = deliver(app, smtp)
    assert len(received) == INACTIVE
    notice = to(received, "user000@acme.test")[0]
    assert "ask for access" in notice.part("plain")
    # The notice links to the request page of a product they held, not to a login screen.
    assert (f"http://scim.test/request-access?product={jira}" in notice.part("plain")
            or f"http://scim.test/request-access?product={confluence}" in notice.part("plain"))

    # Months later user000 opens Jira, which files the request for them.
    returning, refused = ids["people"][0], ids["people"][1]
    filed = product.post("/access-requests", json={"email": "user000@acme.test",
                                                   "product_id": jira,
                                                   "reason": "back on the project"})
    assert filed.status_code == 201, filed.get_json()
    request = filed.get_json()
    assert request["account"]["status"] == "deactivated"
    assert [g["name"] for g in request["account"]["groups"]] == ["jira-users"]
    assert request["product"]["seats_left"] == 135 - ACTIVE
    received = deliver(app, smtp)
    [to_admin] = to(received, "valeria@acme.test")
    assert "user000@acme.test" in to_admin.message["Subject"]
    assert "back on the project" in to_admin.part("plain")

    # Valeria approves: user000 is back with their old groups, grants and data.
    approved = admin.post(f"/access-requests/{request['id']}/approve").get_json()
    assert approved["status"] == "approved" and approved["account"]["status"] == "active"
    user = admin.get(f"/users/{returning}").get_json()
    assert [g["name"] for g in user["groups"]] == ["jira-users"]
    assert {(p["product_id"], tuple(r["type"] for r in p["routes"]))
            for p in user["product_access"]} == {(jira, ("group",)), (confluence, ("direct",))}
    assert user["last_active"] is not None and user["source"] == "synced"
    assert used(admin) == {"jira": ACTIVE + 1, "confluence": 1}
    received = deliver(app, smtp)
    [welcome] = to(received, "user000@acme.test")[1:]
    assert welcome.message["Subject"] == "Your request for Jira was approved"
    assert "https://acme.example" in welcome.part("plain")

    # user001 asks too, and is denied with a message that reaches them.
    second = product.post("/access-requests", json={"account_id": refused,
                                                    "product_id": confluence}).get_json()
    admin.post(f"/access-requests/{second['id']}/deny",
               json={"message": "Confluence is being retired; use the wiki"})
    received = deliver(app, smtp)
    denial = [r for r in to(received, "user001@acme.test")
              if "denied" in str(r.message["Subject"])]
    assert len(denial) == 1 and "use the wiki" in denial[0].part("plain")
    again = problem(product.post("/access-requests", json={"account_id": refused,
                                                           "product_id": confluence}), 403)
    assert again["type"].endswith("/request-denied")
    assert admin.get(f"/users/{refused}").get_json()["status"] == "deactivated"
    assert admin.post(f"/access-requests/{second['id']}/reopen").status_code == 200
    assert product.post("/access-requests", json={"account_id": refused,
                                                  "product_id": confluence}).status_code == 201

    with app.app_context():
        session = db.new_session(app, writes=False)
        sweeps = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "users.inactive_deactivated"))
        assert sweeps == 1
        assert session.scalar(select(Site.url).where(Site.id == site)) == "https://acme.example"
        session.close()
