"""`directories`: create with an idp profile, tokens shown once and revoked, tolerances."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from conftest import Tenant
from scim_server import db
from scim_server.models import ToleranceCounter
from tests.admin.conftest import AdminClient, problem


def test_create_a_directory_and_use_its_token(admin: AdminClient, client: FlaskClient) -> None:
    created = admin.post("/directories", json={"name": "Okta", "idp": "okta"})
    assert created.status_code == 201
    directory = created.get_json()
    assert directory["idp"] == "okta"
    assert directory["scim_path"] == f"/scim/v2/directories/{directory['id']}"
    problem(admin.post("/directories", json={"name": "X", "idp": "ldap"}), 422)
    issued = admin.post(f"/directories/{directory['id']}/tokens", json={"name": "okta"})
    assert issued.status_code == 201
    token = issued.get_json()
    headers = {"Authorization": f"Bearer {token['scim_token']}"}
    config = f"{directory['scim_path']}/ServiceProviderConfig"
    assert client.get(config, headers=headers).status_code == 200
    listed = admin.get(f"/directories/{directory['id']}/tokens").get_json()["data"]
    assert [t["id"] for t in listed] == [token["id"]] and "scim_token" not in listed[0]
    assert admin.delete(f"/directories/{directory['id']}/tokens/{token['id']}").status_code == 204
    assert admin.delete(f"/directories/{directory['id']}/tokens/{token['id']}").status_code == 204
    assert client.get(config, headers=headers).status_code == 401
    problem(admin.delete(f"/directories/{directory['id']}/tokens/unknown"), 404)
    assert admin.get("/directories").get_json()["meta"]["total"] == 2


def test_tolerances_show_which_workarounds_fired(app: Flask, admin: AdminClient,
                                                 tenant: Tenant) -> None:
    with app.app_context():
        session = db.new_session(app)
        session.add(ToleranceCounter(directory_id=tenant.directory_id,
                                     name="entra_string_booleans", count=7))
        session.commit()
        session.close()
    rows = admin.get(f"/directories/{tenant.directory_id}/tolerances").get_json()["data"]
    assert [(r["name"], r["count"]) for r in rows] == [("entra_string_booleans", 7)]
