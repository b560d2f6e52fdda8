"""Invite users (results per address, no product by default), Products and Groups."""
from __future__ import annotations

import re
from typing import Callable

from tests.console.conftest import AdminClient, Console


def test_invite_without_product_access_by_default(signed_in: Console, admin: AdminClient,
                                                  make_product: Callable[..., dict]) -> None:
    make_product("jira", "Jira")
    page = signed_in.get("invite").get_data(as_text=True)
    assert "Leave every box empty to invite without product access" in page
    assert re.search(r'<input[^>]* checked[^>]* id="send_email"', page)  # "Send email" on
    response = signed_in.post_form("invite", "invite", {
        "emails": "one@acme.test, two@acme.test\nthree@acme.test not-an-address one@acme.test",
        "site_role": "basic", "send_email": "y", "message": "Welcome aboard"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    results = dict(re.findall(r'<tr data-result="(\w+)"><td>(?:<a [^>]+>)?([^<]+)<', html))
    assert sorted(re.findall(r'data-result="(\w+)"', html)) == [
        "duplicate", "invalid_email", "invited", "invited", "invited"]
    assert results["invalid_email"] == "not-an-address"
    users = admin.get("/users?q=acme.test").get_json()["data"]
    invited = {u["email"]: u for u in users if u["email"] != "admin@acme.test"}
    assert set(invited) == {"one@acme.test", "two@acme.test", "three@acme.test"}
    for user in invited.values():
        assert user["product_access"] == []
        assert user["invitation_status"] == "invitation_pending"
    # The results stay on the page after the redirect, and a reload does not invite again.
    again = signed_in.get("invite?done=1").get_data(as_text=True)
    assert again.count('data-result="invited"') == 3


def test_invite_with_a_product_and_no_email(signed_in: Console, admin: AdminClient,
                                            make_product: Callable[..., dict]) -> None:
    jira = make_product("jira", "Jira")
    signed_in.post_form("invite", "invite", {"emails": "quiet@acme.test",
                                             "products": [jira["id"]], "site_role": "basic"})
    [user] = admin.get("/users?q=quiet").get_json()["data"]
    assert [p["product_id"] for p in user["product_access"]] == [jira["id"]]
    assert user["invitation_status"] == "invitation_not_sent"


def test_invite_with_no_address_is_refused_on_the_form(signed_in: Console) -> None:
    response = signed_in.post_form("invite", "invite", {"emails": "", "site_role": "basic"})
    assert response.status_code == 422
    assert "Enter at least one email address" in response.get_data(as_text=True)


def test_products_show_licence_use(signed_in: Console, admin: AdminClient,
                                   make_account: Callable[..., str],
                                   make_product: Callable[..., dict]) -> None:
    jira = make_product("jira", "Jira", seat_limit=10)
    for email in ("a@acme.test", "b@acme.test", "c@acme.test"):
        admin.put(f"/products/{jira['id']}/grants/users/{make_account(email)}",
                  json={"role": "user"})
    html = signed_in.get("products").get_data(as_text=True)
    assert f'id="product-{jira["id"]}" data-used="3"' in html
    assert "<strong>10</strong> seats used · 7 available" in html


def test_grant_a_product_to_a_synced_group_and_the_count_moves(
        signed_in: Console, admin: AdminClient, make_account: Callable[..., str],
        make_product: Callable[..., dict], make_synced_group: Callable[..., str]) -> None:
    jira = make_product("jira", "Jira", seat_limit=5)
    members = tuple(make_account(f"m{i}@acme.test", synced=True) for i in range(3))
    group = make_synced_group("Engineering", users=members)
    page = f"groups/{group}"
    html = signed_in.get(page).get_data(as_text=True)
    assert "read-only here" in html and "Add member" not in html
    signed_in.post_form(page, f"{page}/grant", {"product": jira["id"], "role": "user"})
    products = signed_in.get("products").get_data(as_text=True)
    assert f'data-used="3"' in products and "Engineering (user, 3 members)" in products
    # A synced group's members cannot be changed here: the page says where instead.
    refused = signed_in.post_form(page, f"{page}/members", {"email": "m0@acme.test"})
    assert refused.status_code == 409
    assert "Managed by your identity provider" in refused.get_data(as_text=True)
    signed_in.post_form(page, f"{page}/products/{jira['id']}/remove")
    assert 'data-used="0"' in signed_in.get("products").get_data(as_text=True)


def test_admin_groups_are_editable(signed_in: Console, admin: AdminClient,
                                   make_account: Callable[..., str]) -> None:
    person = make_account("p@acme.test")
    response = signed_in.post_form("groups", "groups", {"name": "Contractors"})
    assert response.status_code == 302
    group_url = response.headers["Location"]
    group_id = group_url.rsplit("/", 1)[1]
    page = f"groups/{group_id}"
    signed_in.post_form(page, f"{page}/members", {"email": "P@acme.test"})
    assert admin.get(f"/groups/{group_id}").get_json()["member_count"] == 1
    signed_in.post_form(page, f"{page}/members/{person}/remove")
    assert admin.get(f"/groups/{group_id}").get_json()["member_count"] == 0
    signed_in.post_form(page, f"{page}/rename", {"name": "Vendors"})
    assert admin.get(f"/groups/{group_id}").get_json()["name"] == "Vendors"
    unknown = signed_in.post_form(page, f"{page}/members", {"email": "nobody@acme.test"})
    assert unknown.status_code == 404 and "invite them first" in unknown.get_data(as_text=True)
    signed_in.post_form(page, f"{page}/delete")
    assert admin.get(f"/groups/{group_id}").status_code == 404
