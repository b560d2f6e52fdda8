"""One person, one account: the admin API finds an address the way SCIM stored it.

An account's email is unique per organization, case-insensitively (shared/DESIGN.md),
and a SCIM user whose email belongs to an account links to it. The case rule is the one
SCIM filters use (Unicode simple lowercase, PostgreSQL's `lower()`): "İlker" is
"ilker" and a word-final "Σ" is "σ", where Python's `str.lower()` gives "i̇lker" (two
characters for "İ") and "ς". Each test takes an address where the two differ, so
whichever side wrote the account, the other side must find it.
"""
from __future__ import annotations

import gc
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import ScimClient
from scim_server import db
from scim_server.models import Account
from tests.admin.conftest import AdminClient

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
#: Addresses whose `str.lower()` differs from the simple lowercase SCIM stores.
ADDRESSES = ["İlker@acme.test", "ΟΔΟΣ@acme.test"]


def push(scim: ScimClient, email: str, user_name: str = "idp-user") -> dict[str, Any]:
    """POST a SCIM user whose primary email is `email`; the response is then let go."""
    response = scim.post("/Users", json={
        "schemas": [USER], "userName": user_name,
        "emails": [{"value": email, "type": "work", "primary": True}]})
    status, body = response.status_code, response.get_json(silent=True)
    response.close()
    del response
    gc.collect()
    assert status == 201, body
    return dict(body)


def accounts(app: Flask) -> list[tuple[str, str | None, str]]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = [(a.id, a.email, a.source) for a in session.scalars(select(Account))]
        session.close()
    return found


@pytest.fixture
def product(make_product: Callable[..., dict[str, Any]]) -> str:
    return str(make_product("jira", "Jira")["id"])


@pytest.mark.parametrize("email", ADDRESSES)
def test_an_invitation_to_a_scim_users_address_reaches_that_account(
        app: Flask, scim: ScimClient, admin: AdminClient, product: str, email: str) -> None:
    user = push(scim, email)
    response = admin.post("/invitations", json={
        "emails": [email], "products": [{"product_id": product, "role": "user"}]})
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["data"]
    assert result["account_id"] == user["id"], result
    assert result["result"] != "invited"
    assert [a[0] for a in accounts(app)] == [user["id"]]


@pytest.mark.parametrize("email", ADDRESSES)
def test_scim_links_the_account_an_invitation_made(
        app: Flask, scim: ScimClient, admin: AdminClient, email: str) -> None:
    response = admin.post("/invitations", json={"emails": [email]})
    [invited] = response.get_json()["data"]
    assert invited["result"] == "invited", invited
    user = push(scim, email)
    assert user["id"] == invited["account_id"]
    assert accounts(app) == [(invited["account_id"], email, "invited")]


@pytest.mark.parametrize("email", ADDRESSES)
def test_access_requests_and_activity_by_email_find_the_scim_user(
        scim: ScimClient, admin: AdminClient, product: str, email: str) -> None:
    user = push(scim, email)
    filed = admin.post("/access-requests", json={"email": email, "product_id": product})
    assert filed.status_code == 201, filed.get_json()
    assert filed.get_json()["account_id"] == user["id"]
    used = admin.post("/activity", json={"email": email, "product_id": product})
    assert used.status_code in (200, 201, 204), used.get_json()


@pytest.mark.parametrize("email", ADDRESSES)
def test_an_email_change_to_a_scim_users_address_is_a_conflict(
        app: Flask, scim: ScimClient, admin: AdminClient,
        make_account: Callable[..., str], email: str) -> None:
    user = push(scim, email)
    other = make_account("someone@acme.test")
    response = admin.patch(f"/users/{other}", json={"email": email})
    assert response.status_code == 409, response.get_json()
    assert user["id"] in response.get_json()["detail"]


def test_the_user_search_finds_an_address_as_typed(scim: ScimClient,
                                                   admin: AdminClient) -> None:
    user = push(scim, "İlker.Öz@acme.test")
    for typed in ("İlker", "ilker.öz", "İLKER.ÖZ@ACME"):
        found = admin.get("/users", query_string={"q": typed}).get_json()
        assert [u["id"] for u in found["data"]] == [user["id"]], typed


def test_one_address_listed_twice_in_two_spellings_is_one_invitation(
        app: Flask, admin: AdminClient) -> None:
    response = admin.post("/invitations", json={"emails": ["ΟΔΟΣ@acme.test",
                                                           "οδοσ@acme.test"]})
    assert [r["result"] for r in response.get_json()["data"]] == ["invited", "duplicate"]
    assert len(accounts(app)) == 1
