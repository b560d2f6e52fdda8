"""`products`, grants to users and groups, seat limits and `licences`."""
from __future__ import annotations

import threading
from typing import Any, Callable

import requests

from conftest import Tenant
from tests.admin.conftest import AdminClient, problem


def licence(admin: AdminClient, product_id: str) -> dict[str, Any]:
    rows = admin.get("/licences").get_json()["data"]
    return next(r for r in rows if r["product_id"] == product_id)


def test_create_list_read_and_change_products(admin: AdminClient, site_id: str,
                                              make_product: Callable[..., dict]) -> None:
    jira = make_product("jira", seat_limit=10)
    assert jira["roles"] == ["user", "admin"]
    assert jira["site_id"] == site_id
    other_site = admin.post("/sites", json={"name": "Other"}).get_json()["id"]
    make_product("confluence", site=other_site)
    assert admin.get("/products").get_json()["meta"]["total"] == 2
    only = admin.get(f"/products?site_id={site_id}").get_json()["data"]
    assert [p["key"] for p in only] == ["jira"]
    read = admin.get(f"/products/{jira['id']}")
    changed = admin.patch(f"/products/{jira['id']}", json={"seat_limit": None, "name": "Jira"},
                          headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.get_json()["seat_limit"] is None
    problem(admin.post("/products", json={"site_id": site_id, "key": "jira", "name": "J"}), 409)


def test_product_bodies_are_checked(admin: AdminClient, site_id: str) -> None:
    body = problem(admin.post("/products", json={"site_id": site_id, "key": "J IRA",
                                                 "name": "x", "seat_limit": "5"}), 422)
    assert set(body["errors"]) == {"key", "seat_limit"}
    problem(admin.post("/products", json={"site_id": site_id, "key": "x", "name": "x",
                                          "seat_limit": 2.5}), 422)
    problem(admin.post("/products", json={"site_id": site_id, "key": "x", "name": "x",
                                          "roles": ["owner"]}), 422)
    problem(admin.post("/products", json={"site_id": "nope", "key": "x", "name": "x"}), 404)


def test_grant_to_user_is_idempotent_and_changes_role(admin: AdminClient,
                                                      make_product: Callable[..., dict],
                                                      make_account: Callable[..., str]) -> None:
    product = make_product()
    alice = make_account("alice@acme.test")
    path = f"/products/{product['id']}/grants/users/{alice}"
    first = admin.put(path, json={"role": "user"})
    assert first.status_code == 201
    assert first.get_json()["grantee_type"] == "user"
    again = admin.put(path, json={"role": "user"})
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    promoted = admin.put(path, json={"role": "admin"}, headers={"If-Match": again.headers["ETag"]})
    assert promoted.get_json()["role"] == "admin"
    problem(admin.put(path, json={"role": "user"}, headers={"If-Match": again.headers["ETag"]}),
            412)
    grants = admin.get(f"/products/{product['id']}/grants").get_json()
    assert grants["meta"]["total"] == 1 and grants["data"][0]["account_id"] == alice
    assert admin.delete(path).status_code == 204
    assert admin.delete(path).status_code == 204
    assert admin.get(f"/products/{product['id']}/grants").get_json()["meta"]["total"] == 0
    assert admin.get(f"/users/{alice}").get_json()["product_access"] == []


def test_role_must_be_a_role_of_the_product(admin: AdminClient, site_id: str,
                                            make_account: Callable[..., str]) -> None:
    viewer = admin.post("/products", json={"site_id": site_id, "key": "viewer", "name": "V",
                                           "roles": ["user"]}).get_json()
    alice = make_account("alice@acme.test")
    problem(admin.put(f"/products/{viewer['id']}/grants/users/{alice}", json={"role": "admin"}),
            422)
    problem(admin.put(f"/products/{viewer['id']}/grants/users/{alice}", json={"role": 1}), 422)
    problem(admin.put(f"/products/{viewer['id']}/grants/users/{alice}", json={}), 422)


def test_group_grant_reaches_nested_members_with_routes(
        admin: AdminClient, make_product: Callable[..., dict],
        make_account: Callable[..., str], make_synced_group: Callable[..., str]) -> None:
    product = make_product()
    alice = make_account("alice@acme.test", synced=True)
    bob = make_account("bob@acme.test", synced=True)
    inner = make_synced_group("Engineers", users=(alice,))
    outer = make_synced_group("Staff", users=(bob,), groups=(inner,))
    assert admin.put(f"/products/{product['id']}/grants/groups/{outer}",
                     json={"role": "user"}).status_code == 201
    assert admin.put(f"/products/{product['id']}/grants/users/{alice}",
                     json={"role": "admin"}).status_code == 201
    access = admin.get(f"/users/{alice}").get_json()["product_access"]
    assert len(access) == 1 and access[0]["role"] == "admin"
    routes = {(r["type"], r.get("group_id"), r.get("nested")) for r in access[0]["routes"]}
    assert routes == {("direct", None, None), ("group", outer, True)}
    bob_routes = admin.get(f"/users/{bob}").get_json()["product_access"][0]["routes"]
    assert bob_routes[0]["group_name"] == "Staff" and bob_routes[0]["nested"] is False
    assert licence(admin, product["id"])["used"] == 2
    users = admin.get(f"/users?product={product['id']}").get_json()
    assert {u["id"] for u in users["data"]} == {alice, bob}


def test_seat_limit_refuses_a_grant_and_changes_nothing(
        admin: AdminClient, make_product: Callable[..., dict],
        make_account: Callable[..., str]) -> None:
    product = make_product(seat_limit=1)
    alice, bob = make_account("alice@acme.test"), make_account("bob@acme.test")
    assert admin.put(f"/products/{product['id']}/grants/users/{alice}",
                     json={"role": "user"}).status_code == 201
    events_before = admin.get("/audit-log").get_json()["meta"]["total"]
    body = problem(admin.put(f"/products/{product['id']}/grants/users/{bob}",
                             json={"role": "user"}), 409)
    assert body["type"].endswith("/seat-limit-exceeded")
    assert (body["product_id"], body["seat_limit"], body["used"], body["requested"]) == (
        product["id"], 1, 1, 1)
    assert admin.get(f"/users/{bob}").get_json()["product_access"] == []
    assert admin.get("/audit-log").get_json()["meta"]["total"] == events_before
    assert licence(admin, product["id"]) | {"product_key": None} == {
        "product_id": product["id"], "product_key": None, "product_name": "Jira",
        "seat_limit": 1, "used": 1, "available": 0}
    # Changing the role of a seat already held adds no seat.
    assert admin.put(f"/products/{product['id']}/grants/users/{alice}",
                     json={"role": "admin"}).status_code == 200


def test_group_grant_counts_the_seats_it_would_add(
        admin: AdminClient, make_product: Callable[..., dict],
        make_account: Callable[..., str], make_synced_group: Callable[..., str]) -> None:
    product = make_product(seat_limit=2)
    alice, bob, carol = (make_account(f"{n}@acme.test") for n in ("alice", "bob", "carol"))
    dormant = make_account("dan@acme.test", status="deactivated")
    assert admin.put(f"/products/{product['id']}/grants/users/{alice}",
                     json={"role": "user"}).status_code == 201
    small = make_synced_group("Small", users=(alice, bob, dormant))
    big = make_synced_group("Big", users=(alice, bob, carol))
    # alice already holds a seat and dan is deactivated: one more seat, which fits.
    assert admin.put(f"/products/{product['id']}/grants/groups/{small}",
                     json={"role": "user"}).status_code == 201
    body = problem(admin.put(f"/products/{product['id']}/grants/groups/{big}",
                             json={"role": "user"}), 409)
    assert body["requested"] == 1 and body["used"] == 2
    assert admin.get(f"/products/{product['id']}/grants").get_json()["meta"]["total"] == 2
    assert licence(admin, product["id"])["used"] == 2


def test_lowering_a_limit_below_use_is_refused(admin: AdminClient,
                                               make_product: Callable[..., dict],
                                               make_account: Callable[..., str]) -> None:
    product = make_product(seat_limit=5)
    for name in ("alice", "bob"):
        account = make_account(f"{name}@acme.test")
        admin.put(f"/products/{product['id']}/grants/users/{account}", json={"role": "user"})
    problem(admin.patch(f"/products/{product['id']}", json={"seat_limit": 1}), 409)
    assert admin.patch(f"/products/{product['id']}", json={"seat_limit": 2}).status_code == 200
    assert licence(admin, product["id"])["available"] == 0


def test_unlimited_products_have_no_available_count(admin: AdminClient,
                                                    make_product: Callable[..., dict]) -> None:
    product = make_product()
    assert licence(admin, product["id"])["available"] is None


def test_two_grants_for_the_last_seat_at_once_exactly_one_wins(
        live_server: str, tenant: Tenant, admin: AdminClient,
        make_product: Callable[..., dict], make_account: Callable[..., str]) -> None:
    headers = {**tenant.admin_headers, "Content-Type": "application/json"}
    for round_number in range(4):
        product = make_product(f"race{round_number}", seat_limit=1)
        racers = [make_account(f"r{round_number}-{i}@acme.test") for i in range(2)]
        barrier = threading.Barrier(len(racers))
        results: list[int] = []

        def grant(account_id: str, product_id: str = product["id"]) -> None:
            url = (f"{live_server}{tenant.admin_base}/products/{product_id}"
                   f"/grants/users/{account_id}")
            barrier.wait()
            results.append(requests.put(url, json={"role": "user"}, headers=headers,
                                        timeout=60).status_code)

        threads = [threading.Thread(target=grant, args=(a,)) for a in racers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert sorted(results) == [201, 409], results
        assert licence(admin, product["id"])["used"] == 1
        grants = admin.get(f"/products/{product['id']}/grants").get_json()
        assert grants["meta"]["total"] == 1
