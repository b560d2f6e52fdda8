"""`users`: search, detail with routes and invitation status, profile rules, lifecycle."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from flask import Flask

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, Invitation, OutboxMessage, utcnow
from scim_server.services.account_lifecycle import erase_due_accounts
from tests.admin.conftest import AdminClient, problem


def used(admin: AdminClient, product_id: str) -> int:
    rows = admin.get("/licences").get_json()["data"]
    return int(next(r["used"] for r in rows if r["product_id"] == product_id))


def test_search_by_status_source_text_and_last_active(app: Flask, admin: AdminClient,
                                                      make_account: Callable[..., str]) -> None:
    alice = make_account("Alice@Acme.test", name="Alice Archer")
    bob = make_account("bob@acme.test", name="Bob 100%", source="self_signup")
    carol = make_account("carol@acme.test", synced=True, status="deactivated")
    with app.app_context():
        session = db.new_session(app)
        session.get(Account, alice).last_active_at = utcnow() - timedelta(days=90)
        session.get(Account, bob).last_active_at = utcnow()
        session.commit()
        session.close()

    def ids(query: str) -> set[str]:
        response = admin.get(f"/users?{query}")
        assert response.status_code == 200, response.get_json()
        return {u["id"] for u in response.get_json()["data"]}

    assert ids("") == {alice, bob, carol}
    assert ids("status=deactivated") == {carol}
    assert ids("source=synced") == {carol}
    assert ids("source=self_signup") == {bob}
    assert ids("q=ARCHER") == {alice}
    assert ids("q=alice%40acme") == {alice}
    assert ids("q=100%25") == {bob}
    assert ids("q=%25") == {bob}
    since = (utcnow() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"last_active_since={since}") == {bob}
    assert ids(f"last_active_before={since}") == {alice, carol}
    problem(admin.get("/users?status=gone"), 400)
    problem(admin.get("/users?last_active_since=yesterday"), 400)
    problem(admin.get("/users?stauts=active"), 400)
    problem(admin.get("/users?status=active&status=deactivated"), 400)


def test_detail_shows_profile_status_and_invitation_status(
        app: Flask, admin: AdminClient, tenant: Tenant, make_account: Callable[..., str]) -> None:
    synced = make_account("sam@acme.test", synced=True)
    invited = make_account("ivy@acme.test")
    expired = make_account("eve@acme.test")
    quiet = make_account("quinn@acme.test")
    active = make_account("ada@acme.test", has_accessed=True)
    with app.app_context():
        session = db.new_session(app)
        for account_id, expires, send in ((invited, 7, True), (expired, -1, True),
                                          (quiet, 7, False)):
            session.add(Invitation(org_id=tenant.org_id, account_id=account_id,
                                   token_hash=f"hash-{account_id}", send_email=send,
                                   expires_at=utcnow() + timedelta(days=expires)))
        session.commit()
        session.close()
    detail = admin.get(f"/users/{synced}").get_json()
    assert detail["email"] == "sam@acme.test" and detail["source"] == "synced"
    assert detail["directory_id"] == tenant.directory_id
    assert (detail["status"], detail["product_access"], detail["groups"]) == ("active", [], [])
    statuses = {a: admin.get(f"/users/{a}").get_json()["invitation_status"]
                for a in (synced, invited, expired, quiet, active)}
    assert statuses == {synced: "invitation_not_sent", invited: "invitation_pending",
                        expired: "invitation_expired", quiet: "invitation_not_sent",
                        active: "has_site_access"}
    admin.post(f"/users/{active}/deactivate")
    assert admin.get(f"/users/{active}").get_json()["invitation_status"] == "no_site_access"


def test_synced_profile_is_read_only_and_names_the_directory(
        admin: AdminClient, make_account: Callable[..., str]) -> None:
    synced = make_account("sam@acme.test", synced=True)
    body = problem(admin.patch(f"/users/{synced}", json={"display_name": "Sammy"}), 409)
    assert "Acme directory" in body["detail"] and body["type"].endswith("/managed-by-directory")
    problem(admin.patch(f"/users/{synced}", json={"email": "other@acme.test"}), 409)
    assert admin.get(f"/users/{synced}").get_json()["display_name"] is None


def test_admin_managed_profile_changes_with_if_match(
        admin: AdminClient, make_account: Callable[..., str]) -> None:
    ivy = make_account("ivy@acme.test")
    make_account("taken@acme.test")
    etag = admin.get(f"/users/{ivy}").headers["ETag"]
    changed = admin.patch(f"/users/{ivy}", json={"display_name": "Ivy"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["display_name"] == "Ivy"
    problem(admin.patch(f"/users/{ivy}", json={"display_name": "Ivy2"},
                        headers={"If-Match": etag}), 412)
    problem(admin.patch(f"/users/{ivy}", json={"email": "TAKEN@acme.test"}), 409)
    problem(admin.patch(f"/users/{ivy}", json={"email": "not-an-email"}), 422)
    problem(admin.patch(f"/users/{ivy}", json={"status": "active"}), 422)


def test_deactivate_then_reactivate_restores_exactly_what_was_there(
        app: Flask, admin: AdminClient, make_product: Callable[..., dict],
        make_account: Callable[..., str], make_synced_group: Callable[..., str]) -> None:
    product = make_product(seat_limit=5)
    wiki = make_product("wiki")
    ann = make_account("ann@acme.test", name="Ann")
    team = make_synced_group("Team", users=(ann,))
    helpers = admin.post("/groups", json={"name": "Helpers"}).get_json()["id"]
    admin.post(f"/groups/{helpers}/members", json={"account_id": ann})
    admin.put(f"/products/{product['id']}/grants/users/{ann}", json={"role": "admin"})
    admin.put(f"/products/{wiki['id']}/grants/groups/{team}", json={"role": "user"})
    before = admin.get(f"/users/{ann}").get_json()
    history_before = admin.get(f"/audit-log?target={ann}").get_json()["data"]
    assert used(admin, product["id"]) == 1
    off = admin.post(f"/users/{ann}/deactivate", json={"message": "Back in spring?"})
    assert off.status_code == 200 and off.get_json()["status"] == "deactivated"
    assert used(admin, product["id"]) == 0 and used(admin, wiki["id"]) == 0
    assert off.get_json()["product_access"] == before["product_access"]
    assert admin.post(f"/users/{ann}/deactivate").status_code == 200  # idempotent
    with app.app_context():
        session = db.new_session(app)
        notices = session.query(OutboxMessage).filter_by(to="ann@acme.test").all()
        assert [n.template for n in notices] == ["deactivation_notice"]
        assert "Back in spring?" in notices[0].body_text
        session.close()
    on = admin.post(f"/users/{ann}/reactivate")
    assert on.status_code == 200
    after = on.get_json()
    for key in ("status", "product_access", "groups", "sites", "email", "display_name",
                "source", "invitation_status", "created_at", "last_active"):
        assert after[key] == before[key], key
    assert used(admin, product["id"]) == 1 and used(admin, wiki["id"]) == 1
    history_after = admin.get(f"/audit-log?target={ann}").get_json()["data"]
    assert history_after[-len(history_before):] == history_before
    assert [e["action"] for e in history_after[:2]] == ["user.reactivated", "user.deactivated"]


def test_reactivation_is_refused_past_a_seat_limit(admin: AdminClient,
                                                   make_product: Callable[..., dict],
                                                   make_account: Callable[..., str]) -> None:
    product = make_product(seat_limit=1)
    ann, ben = make_account("ann@acme.test"), make_account("ben@acme.test")
    admin.put(f"/products/{product['id']}/grants/users/{ann}", json={"role": "user"})
    admin.post(f"/users/{ann}/deactivate")
    admin.put(f"/products/{product['id']}/grants/users/{ben}", json={"role": "user"})
    body = problem(admin.post(f"/users/{ann}/reactivate"), 409)
    assert body["type"].endswith("/seat-limit-exceeded")
    assert admin.get(f"/users/{ann}").get_json()["status"] == "deactivated"


def test_reactivating_a_user_the_directory_deactivated_is_refused(
        admin: AdminClient, make_account: Callable[..., str]) -> None:
    gone = make_account("gone@acme.test", synced=True, status="deactivated")
    body = problem(admin.post(f"/users/{gone}/reactivate"), 409)
    assert "Acme directory" in body["detail"]


def test_delete_waits_14_days_can_be_cancelled_then_erases(
        app: Flask, admin: AdminClient, make_product: Callable[..., dict],
        make_account: Callable[..., str]) -> None:
    product = make_product()
    ann = make_account("ann@acme.test", name="Ann")
    admin.put(f"/products/{product['id']}/grants/users/{ann}", json={"role": "user"})
    pending = admin.post(f"/users/{ann}/delete").get_json()
    assert pending["status"] == "pending_deletion"
    assert pending["deletion_due_at"] is not None
    assert used(admin, product["id"]) == 0
    problem(admin.post(f"/users/{ann}/reactivate"), 409)
    problem(admin.put(f"/products/{product['id']}/grants/users/{ann}", json={"role": "admin"}),
            409)
    back = admin.post(f"/users/{ann}/cancel-delete").get_json()
    assert (back["status"], back["deletion_due_at"]) == ("active", None)
    assert used(admin, product["id"]) == 1
    admin.post(f"/users/{ann}/delete")
    with app.app_context():
        session = db.new_session(app)
        assert erase_due_accounts(session, now=utcnow() + timedelta(days=13)) == []
        assert erase_due_accounts(session, now=utcnow() + timedelta(days=15)) == [ann]
        session.commit()
        session.close()
    tombstone = admin.get(f"/users/{ann}").get_json()
    assert (tombstone["email"], tombstone["display_name"]) == (None, None)
    assert tombstone["erased_at"] is not None and tombstone["product_access"] == []
    history = admin.get(f"/audit-log?target={ann}").get_json()["data"]
    assert history[0]["action"] == "user.erased" and len(history) >= 4
    problem(admin.post(f"/users/{ann}/reactivate"), 409)


def test_deactivated_user_cancel_delete_returns_deactivated(
        admin: AdminClient, make_account: Callable[..., str]) -> None:
    ann = make_account("ann@acme.test")
    admin.post(f"/users/{ann}/deactivate")
    admin.post(f"/users/{ann}/delete")
    assert admin.post(f"/users/{ann}/cancel-delete").get_json()["status"] == "deactivated"


def test_linked_synced_user_cannot_be_deleted_here(admin: AdminClient,
                                                   make_account: Callable[..., str]) -> None:
    sam = make_account("sam@acme.test", synced=True)
    body = problem(admin.post(f"/users/{sam}/delete"), 409)
    assert "Acme directory" in body["detail"]


def test_remove_from_site_and_add_back(admin: AdminClient, site_id: str,
                                       make_product: Callable[..., dict],
                                       make_account: Callable[..., str],
                                       make_synced_group: Callable[..., str]) -> None:
    product = make_product()
    other_site = admin.post("/sites", json={"name": "Other"}).get_json()["id"]
    elsewhere = make_product("elsewhere", site=other_site)
    ann = make_account("ann@acme.test")
    team = make_synced_group("Team", users=(ann,))
    admin.put(f"/products/{product['id']}/grants/users/{ann}", json={"role": "user"})
    admin.put(f"/products/{product['id']}/grants/groups/{team}", json={"role": "user"})
    admin.put(f"/products/{elsewhere['id']}/grants/users/{ann}", json={"role": "user"})
    assert admin.delete(f"/users/{ann}/sites/{site_id}").status_code == 204
    assert admin.delete(f"/users/{ann}/sites/{site_id}").status_code == 204
    detail = admin.get(f"/users/{ann}").get_json()
    assert [p["product_id"] for p in detail["product_access"]] == [elsewhere["id"]]
    assert detail["invitation_status"] != "no_site_access"  # still on the other site
    assert used(admin, product["id"]) == 0
    problem(admin.put(f"/products/{product['id']}/grants/users/{ann}", json={"role": "user"}),
            409)
    added = admin.put(f"/users/{ann}/sites/{site_id}", json={"role": "trusted"})
    assert added.status_code == 201 and added.get_json()["role"] == "trusted"
    assert admin.put(f"/users/{ann}/sites/{site_id}", json={"role": "trusted"}).status_code == 200
    routes = admin.get(f"/users/{ann}").get_json()["product_access"]
    assert {p["product_id"] for p in routes} == {product["id"], elsewhere["id"]}
    admin.delete(f"/users/{ann}/sites/{site_id}")
    admin.delete(f"/users/{ann}/sites/{other_site}")
    assert admin.get(f"/users/{ann}").get_json()["invitation_status"] == "no_site_access"


def test_pages_walk_every_user_once(admin: AdminClient, make_account: Callable[..., str]) -> None:
    made = {make_account(f"u{i}@acme.test") for i in range(7)}
    seen: list[str] = []
    url: Any = "/users?limit=3&status=active"
    pages = 0
    while url:
        body = admin.get(url.replace("http://scim.test", "")).get_json()
        assert body["meta"]["total"] == 7
        seen += [u["id"] for u in body["data"]]
        url = body["links"]["next"]
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(made) and len(seen) == 7
    problem(admin.get("/users?cursor=not-a-cursor"), 400)
    problem(admin.get("/users?limit=0"), 400)
    problem(admin.get("/users?limit=abc"), 400)
