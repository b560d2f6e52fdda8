"""`domains` (approved email domains) and `access-settings`."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from sqlalchemy import func, select

from conftest import Tenant
from scim_server import db
from scim_server.models import AuditEvent, DomainRule, Organization
from tests.admin.conftest import AdminClient, problem


def rules(app: Flask) -> int:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = int(session.scalar(select(func.count()).select_from(DomainRule)) or 0)
        session.close()
    return found


def test_approve_list_and_remove_domains(app: Flask, admin: AdminClient,
                                         make_product: Callable[..., dict[str, Any]]) -> None:
    jira, wiki = make_product("jira"), make_product("wiki")
    created = admin.post("/domains", json={"domain": "@Acme.Example.", "product_id": jira["id"],
                                           "approval_required": False})
    assert created.status_code == 201, created.get_json()
    rule = created.get_json()
    assert (rule["domain"], rule["role"], rule["approval_required"], rule["notify_admins"]) \
        == ("acme.example", "user", False, True)
    admin.post("/domains", json={"domain": "acme.example", "product_id": wiki["id"],
                                 "role": "admin", "notify_admins": False})
    admin.post("/domains", json={"domain": "labs.acme.example", "product_id": jira["id"]})
    listed = admin.get("/domains").get_json()
    assert listed["meta"]["total"] == 3
    assert {r["product_id"] for r in admin.get("/domains?domain=ACME.example").get_json()[
        "data"]} == {jira["id"], wiki["id"]}
    assert admin.delete(f"/domains/{rule['id']}").status_code == 204
    assert admin.delete(f"/domains/{rule['id']}").status_code == 204
    assert admin.get("/domains").get_json()["meta"]["total"] == 2
    with app.app_context():
        session = db.new_session(app, writes=False)
        actions = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("domain_rule.%")).order_by(AuditEvent.id)))
        session.close()
    assert actions == ["domain_rule.created"] * 3 + ["domain_rule.deleted"]


def test_webmail_invalid_duplicate_and_foreign_rules_are_refused(
        app: Flask, admin: AdminClient, make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira")
    admin.post("/domains", json={"domain": "acme.example", "product_id": jira["id"]})
    before = rules(app)
    webmail = problem(admin.post("/domains", json={"domain": "Gmail.com",
                                                   "product_id": jira["id"]}), 422)
    assert "public email domain" in webmail["detail"]
    for bad in ("not a domain", "acme", "-acme.example", "a" * 64 + ".example", "acme..example"):
        problem(admin.post("/domains", json={"domain": bad, "product_id": jira["id"]}), 422)
    assert "already approved" in problem(admin.post("/domains", json={
        "domain": "ACME.example", "product_id": jira["id"]}), 409)["detail"]
    problem(admin.post("/domains", json={"domain": "acme.example", "product_id": "nope"}), 404)
    problem(admin.post("/domains", json={"domain": "b.example", "product_id": jira["id"],
                                         "role": "owner"}), 422)
    problem(admin.post("/domains", json={"domain": "b.example", "product_id": jira["id"],
                                         "approval_required": "no"}), 422)
    assert rules(app) == before


def test_settings_read_update_validate_and_audit(app: Flask, admin: AdminClient,
                                                 tenant: Tenant) -> None:
    assert admin.get("/access-settings").get_json() == {
        "deactivated_may_request": True, "notify_admins_on_requests": "always",
        "signup_any_domain": False}
    changed = admin.patch("/access-settings", json={"notify_admins_on_requests":
                                                    "approval_required"}).get_json()
    assert changed["notify_admins_on_requests"] == "approval_required"
    problem(admin.patch("/access-settings", json={"notify_admins_on_requests": "never"}), 422)
    problem(admin.patch("/access-settings", json={"signup_any_domain": "yes"}), 422)
    problem(admin.patch("/access-settings", json={"colour": "blue"}), 422)
    with app.app_context():
        session = db.new_session(app, writes=False)
        org = session.get_one(Organization, tenant.org_id)
        assert org.settings["notify_admins_on_requests"] == "approval_required"
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "organization.settings_updated")) == 1
        session.close()
