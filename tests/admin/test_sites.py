"""`sites`: list, create, read, change with If-Match."""
from __future__ import annotations

from tests.admin.conftest import AdminClient, problem


def test_new_organization_has_its_default_site(admin: AdminClient) -> None:
    body = admin.get("/sites").get_json()
    assert body["meta"] == {"total": 1}
    assert body["links"] == {"next": None}
    assert body["data"][0]["name"] == "Acme"


def test_create_read_and_rename_a_site(admin: AdminClient) -> None:
    created = admin.post("/sites", json={"name": "Docs", "url": "https://docs.acme.test"})
    assert created.status_code == 201
    site = created.get_json()
    assert site["url"] == "https://docs.acme.test"
    read = admin.get(f"/sites/{site['id']}")
    assert read.get_json() == site
    etag = read.headers["ETag"]
    renamed = admin.patch(f"/sites/{site['id']}", json={"name": "Handbook"},
                          headers={"If-Match": etag})
    assert renamed.status_code == 200
    assert renamed.get_json()["name"] == "Handbook"
    assert renamed.headers["ETag"] != etag
    stale = admin.patch(f"/sites/{site['id']}", json={"name": "Wiki"},
                        headers={"If-Match": etag})
    problem(stale, 412)
    assert admin.get(f"/sites/{site['id']}").get_json()["name"] == "Handbook"


def test_site_names_are_unique_in_an_organization(admin: AdminClient) -> None:
    assert admin.post("/sites", json={"name": "Docs"}).status_code == 201
    body = problem(admin.post("/sites", json={"name": "Docs"}), 409)
    assert "Docs" in body["detail"]


def test_invalid_site_bodies_are_problems(admin: AdminClient) -> None:
    body = problem(admin.post("/sites", json={"name": 5, "colour": "red"}), 422)
    assert set(body["errors"]) == {"name", "colour"}
    problem(admin.post("/sites", json={"name": "x", "url": "not a url"}), 422)
    problem(admin.get("/sites/no-such-site"), 404)
