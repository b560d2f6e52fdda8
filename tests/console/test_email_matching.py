"""The console finds an address the way SCIM stored it ("İ" and a final "Σ" fold one for one)."""
from __future__ import annotations

from typing import Callable

import pytest
from flask import Flask

from conftest import ScimClient, Tenant
from scim_server import db
from scim_server.models import Account
from tests.admin.test_email_matching import ADDRESSES, push
from tests.console.conftest import AdminClient, Console, emailed_link


def promote(app: Flask, account_id: str) -> None:
    with app.app_context():
        session = db.new_session(app)
        session.get_one(Account, account_id).is_org_admin = True
        session.commit()
        session.close()


@pytest.mark.parametrize("email", ADDRESSES)
def test_an_admin_scim_pushed_signs_in_with_the_address_as_pushed(
        app: Flask, console: Console, scim: ScimClient, tenant: Tenant, email: str) -> None:
    promote(app, push(scim, email)["id"])
    link = console.request_link(email)
    response = console.post_form(link, "/console/sign-in", {"token": link.split("token=")[1]})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.mark.parametrize("email", ADDRESSES)
def test_add_member_by_email_finds_the_scim_user(
        app: Flask, signed_in: Console, scim: ScimClient, admin: AdminClient,
        email: str) -> None:
    user = push(scim, email)
    group = admin.post("/groups", json={"name": "Contractors"}).get_json()
    page = f"groups/{group['id']}"
    response = signed_in.post_form(page, f"{page}/members", {"email": f" {email} "})
    assert response.status_code == 302, response.get_data(as_text=True)
    members = admin.get(f"/groups/{group['id']}/members").get_json()["data"]
    assert [m["member_id"] for m in members] == [user["id"]]


def test_the_sign_in_email_goes_to_the_address_the_account_keeps(
        app: Flask, console: Console, tenant: Tenant,
        make_admin: Callable[..., str]) -> None:
    make_admin(tenant, email="ΟΔΟΣ@acme.test")
    console.request_link("οδοσ@ACME.test")
    assert emailed_link(app, "ΟΔΟΣ@acme.test").startswith("/console/sign-in?token=")
