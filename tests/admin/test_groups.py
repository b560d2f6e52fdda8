"""`groups`: synced groups are read-only here; admin-managed ones are edited with seats kept."""
from __future__ import annotations

from typing import Callable

from tests.admin.conftest import AdminClient, problem


def test_list_and_read_synced_and_admin_groups(admin: AdminClient,
                                               make_account: Callable[..., str],
                                               make_synced_group: Callable[..., str]) -> None:
    ann = make_account("ann@acme.test", synced=True)
    synced = make_synced_group("Engineering", users=(ann,))
    created = admin.post("/groups", json={"name": "Contractors"})
    assert created.status_code == 201
    mine = created.get_json()
    assert (mine["source"], mine["directory_id"], mine["member_count"]) == ("admin", None, 0)
    listed = admin.get("/groups").get_json()
    assert listed["meta"]["total"] == 2
    assert {g["id"] for g in admin.get("/groups?source=synced").get_json()["data"]} == {synced}
    assert {g["id"] for g in admin.get("/groups?q=contract").get_json()["data"]} == {mine["id"]}
    read = admin.get(f"/groups/{synced}").get_json()
    assert (read["name"], read["source"], read["member_count"]) == ("Engineering", "synced", 1)
    members = admin.get(f"/groups/{synced}/members").get_json()
    assert [(m["member_id"], m["member_type"]) for m in members["data"]] == [(ann, "User")]
    assert admin.get(f"/users/{ann}").get_json()["groups"] == [
        {"id": synced, "name": "Engineering", "source": "synced"}]
    problem(admin.post("/groups", json={"name": "contractors"}), 409)


def test_synced_groups_are_read_only_here(admin: AdminClient, make_account: Callable[..., str],
                                          make_synced_group: Callable[..., str]) -> None:
    ann = make_account("ann@acme.test")
    synced = make_synced_group("Engineering")
    for response in (admin.post(f"/groups/{synced}/members", json={"account_id": ann}),
                     admin.delete(f"/groups/{synced}/members", json={"account_id": ann}),
                     admin.delete(f"/groups/{synced}/members/{ann}"),
                     admin.patch(f"/groups/{synced}", json={"name": "Eng"}),
                     admin.delete(f"/groups/{synced}")):
        body = problem(response, 409)
        assert "Acme directory" in body["detail"]
    assert admin.get(f"/groups/{synced}").get_json()["name"] == "Engineering"


def test_membership_editing_is_idempotent_and_nested(admin: AdminClient,
                                                     make_product: Callable[..., dict],
                                                     make_account: Callable[..., str],
                                                     make_synced_group: Callable[..., str]
                                                     ) -> None:
    product = make_product()
    ann, ben = make_account("ann@acme.test"), make_account("ben@acme.test", synced=True)
    synced = make_synced_group("Engineering", users=(ben,))
    outer = admin.post("/groups", json={"name": "All"}).get_json()["id"]
    inner = admin.post("/groups", json={"name": "Some"}).get_json()["id"]
    admin.put(f"/products/{product['id']}/grants/groups/{outer}", json={"role": "user"})
    assert admin.post(f"/groups/{outer}/members", json={"group_id": inner}).status_code == 200
    assert admin.post(f"/groups/{inner}/members", json={"account_id": ann}).get_json()[
        "member_count"] == 1
    assert admin.post(f"/groups/{inner}/members", json={"account_id": ann}).get_json()[
        "member_count"] == 1
    admin.post(f"/groups/{outer}/members", json={"group_id": synced})
    route = admin.get(f"/users/{ann}").get_json()["product_access"][0]["routes"][0]
    assert (route["group_id"], route["nested"]) == (outer, True)
    assert admin.get(f"/users/{ben}").get_json()["product_access"][0]["product_id"] == (
        product["id"])
    body = problem(admin.post(f"/groups/{inner}/members", json={"group_id": outer}), 409)
    assert "cycle" in body["detail"]
    problem(admin.post(f"/groups/{inner}/members", json={"group_id": inner}), 409)
    assert admin.delete(f"/groups/{inner}/members", json={"account_id": ann}).status_code == 200
    assert admin.delete(f"/groups/{inner}/members/{ann}").status_code == 204
    assert admin.get(f"/users/{ann}").get_json()["product_access"] == []
    problem(admin.post(f"/groups/{inner}/members", json={"account_id": "nobody"}), 404)
    problem(admin.post(f"/groups/{inner}/members", json={}), 422)
    problem(admin.post(f"/groups/{inner}/members", json={"account_id": ann, "group_id": outer}),
            422)


def test_adding_a_member_past_a_seat_limit_is_refused(admin: AdminClient,
                                                      make_product: Callable[..., dict],
                                                      make_account: Callable[..., str]) -> None:
    product = make_product(seat_limit=1)
    ann, ben = make_account("ann@acme.test"), make_account("ben@acme.test")
    outer = admin.post("/groups", json={"name": "Licensed"}).get_json()["id"]
    inner = admin.post("/groups", json={"name": "Team"}).get_json()["id"]
    admin.post(f"/groups/{outer}/members", json={"group_id": inner})
    admin.put(f"/products/{product['id']}/grants/groups/{outer}", json={"role": "user"})
    admin.post(f"/groups/{inner}/members", json={"account_id": ann})
    body = problem(admin.post(f"/groups/{inner}/members", json={"account_id": ben}), 409)
    assert body["type"].endswith("/seat-limit-exceeded")
    assert admin.get(f"/groups/{inner}").get_json()["member_count"] == 1


def test_rename_and_delete_an_admin_group(admin: AdminClient, make_product: Callable[..., dict],
                                          make_account: Callable[..., str]) -> None:
    product = make_product()
    ann = make_account("ann@acme.test")
    group = admin.post("/groups", json={"name": "Temp"})
    group_id = group.get_json()["id"]
    parent = admin.post("/groups", json={"name": "Parent"}).get_json()["id"]
    admin.post(f"/groups/{parent}/members", json={"group_id": group_id})
    renamed = admin.patch(f"/groups/{group_id}", json={"name": "Temps"},
                          headers={"If-Match": group.headers["ETag"]})
    assert renamed.get_json()["name"] == "Temps"
    problem(admin.patch(f"/groups/{group_id}", json={"name": "X"},
                        headers={"If-Match": group.headers["ETag"]}), 412)
    admin.post(f"/groups/{group_id}/members", json={"account_id": ann})
    admin.put(f"/products/{product['id']}/grants/groups/{group_id}", json={"role": "user"})
    assert admin.delete(f"/groups/{group_id}").status_code == 204
    assert admin.delete(f"/groups/{group_id}").status_code == 204
    problem(admin.get(f"/groups/{group_id}"), 404)
    assert admin.get(f"/groups/{parent}").get_json()["member_count"] == 0
    assert admin.get(f"/users/{ann}").get_json()["product_access"] == []
