"""User detail: access with routes, grant and remove, site role, lifecycle, audit trail."""
from __future__ import annotations

from typing import Callable

from flask import Flask

from tests.console.conftest import AdminClient, Console


def test_detail_shows_routes_directory_and_idp_fields(
        signed_in: Console, admin: AdminClient, make_account: Callable[..., str],
        make_product: Callable[..., dict], make_synced_group: Callable[..., str]) -> None:
    person = make_account("dev@acme.test", name="Dev One", synced=True)
    jira = make_product("jira", "Jira")
    group = make_synced_group("Engineering", users=(person,))
    admin.put(f"/products/{jira['id']}/grants/groups/{group}", json={"role": "user"})
    admin.put(f"/products/{jira['id']}/grants/users/{person}", json={"role": "admin"})
    html = signed_in.get(f"users/{person}").get_data(as_text=True)
    assert "Managed by the directory" in html and "Acme directory" in html
    assert "email, display name" in html
    assert "Direct; Group Engineering" in html
    assert "Invitation not sent" in html
    assert "Delete user" not in html  # a directory's account is deleted by its directory


def test_grant_and_remove_access(signed_in: Console, admin: AdminClient,
                                 make_account: Callable[..., str],
                                 make_product: Callable[..., dict]) -> None:
    person = make_account("p@acme.test")
    jira = make_product("jira", "Jira")
    page = f"users/{person}"
    response = signed_in.post_form(page, f"{page}/grant", {"product": jira["id"],
                                                           "role": "user"})
    assert response.status_code == 302
    assert [p["product_id"] for p in admin.get(f"/users/{person}").get_json()
            ["product_access"]] == [jira["id"]]
    html = signed_in.get(page).get_data(as_text=True)
    assert "Remove access" in html
    signed_in.post_form(page, f"{page}/products/{jira['id']}/remove")
    assert admin.get(f"/users/{person}").get_json()["product_access"] == []


def test_a_seat_limit_gives_a_page_that_says_what_to_do(
        signed_in: Console, make_account: Callable[..., str],
        make_product: Callable[..., dict], admin: AdminClient) -> None:
    jira = make_product("jira", "Jira", seat_limit=1)
    first, second = make_account("a@acme.test"), make_account("b@acme.test")
    admin.put(f"/products/{jira['id']}/grants/users/{first}", json={"role": "user"})
    response = signed_in.post_form(f"users/{second}", f"users/{second}/grant",
                                   {"product": jira["id"], "role": "user"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Seat limit reached" in html and "raise the product" in html
    assert admin.get(f"/users/{second}").get_json()["product_access"] == []


def test_lifecycle_buttons(signed_in: Console, admin: AdminClient,
                           make_account: Callable[..., str]) -> None:
    person = make_account("p@acme.test")
    page = f"users/{person}"
    html = signed_in.get(page).get_data(as_text=True)
    assert "Resend invite" in html and "Delete user" in html and "Deactivate user" in html
    signed_in.post_form(page, f"{page}/deactivate", {"message": "Project ended"})
    assert admin.get(f"/users/{person}").get_json()["status"] == "deactivated"
    html = signed_in.get(page).get_data(as_text=True)
    assert "Reactivate user" in html and "No site access" in html
    signed_in.post_form(page, f"{page}/reactivate")
    assert admin.get(f"/users/{person}").get_json()["status"] == "active"
    response = signed_in.post_form(page, f"{page}/delete", follow_redirects=True)
    assert "will be deleted on" in response.get_data(as_text=True)
    body = admin.get(f"/users/{person}").get_json()
    assert body["status"] == "pending_deletion" and body["deletion_due_at"]
    assert "Cancel deletion" in signed_in.get(page).get_data(as_text=True)
    signed_in.post_form(page, f"{page}/cancel-delete")
    assert admin.get(f"/users/{person}").get_json()["status"] == "active"
    signed_in.post_form(page, f"{page}/invite")
    assert admin.get(f"/users/{person}").get_json()["invitation_status"] == \
        "invitation_pending"
    trail = signed_in.get(page).get_data(as_text=True).split('id="trail"', 1)[1]
    for action in ("user.deactivated", "user.reactivated", "user.deletion_scheduled",
                   "user.deletion_cancelled", "invitation.issued"):
        assert action in trail, action


def test_site_role(signed_in: Console, admin: AdminClient, site_id: str,
                   make_account: Callable[..., str]) -> None:
    person = make_account("p@acme.test")
    page = f"users/{person}"
    signed_in.post_form(page, f"{page}/site-role", {"site": site_id, "role": "trusted"})
    sites = admin.get(f"/users/{person}").get_json()["sites"]
    assert [(s["site_id"], s["role"]) for s in sites] == [(site_id, "trusted")]
    assert "Trusted" in signed_in.get(page).get_data(as_text=True)


def test_unknown_user_is_a_404_page(signed_in: Console, app: Flask) -> None:
    response = signed_in.get("users/no-such-id")
    assert response.status_code == 404
    assert "What to do" in response.get_data(as_text=True)
