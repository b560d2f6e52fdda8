"""Bearer tokens and tenant isolation (RFC 7644 §2, §7)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from scim_server.models import Directory, ScimToken, utcnow
from scim_server.services import tenancy
from scim_server.services.actors import Actor

ENDPOINTS = [("GET", "/Users"), ("GET", "/Users/{id}"), ("PUT", "/Users/{id}"),
             ("PATCH", "/Users/{id}"), ("DELETE", "/Users/{id}"), ("POST", "/Users"),
             ("POST", "/Users/.search"), ("GET", "/ServiceProviderConfig"), ("GET", "/Schemas"),
             ("GET", "/ResourceTypes")]
BODY = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "mallory"}


def _user(scim):
    return scim.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                     "userName": "victim@example.com"}).get_json()


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "Bearer scimsrv_dt_not-a-real-token", "Bearer wrong"])
def test_missing_or_bad_token_is_401(client, tenant, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(f"{tenant.scim_base}/Users", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["status"] == "401"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_another_tenants_token_sees_nothing(make_tenant, make_scim_client, method, path):
    victim, attacker = make_tenant("Victim"), make_tenant("Attacker")
    user = _user(make_scim_client(victim))
    # The attacker's token with the victim's directory id: as if the directory did not exist.
    crossed = type(attacker)(attacker.org_id, victim.directory_id, attacker.scim_token,
                             attacker.admin_key)
    response = make_scim_client(crossed)._call(method, path.format(id=user["id"]), json=BODY
                                               if method in ("POST", "PUT") else None)
    assert response.status_code == 404
    assert "victim" not in response.get_data(as_text=True)
    # The attacker's own directory does not know the victim's user either.
    if "{id}" in path:
        own = make_scim_client(attacker)._call(method, path.format(id=user["id"]), json=BODY
                                               if method in ("POST", "PUT") else None)
        assert own.status_code == 404
    assert make_scim_client(victim).get(f"/Users/{user['id']}").status_code == 200


def test_list_and_filter_never_show_another_tenants_users(make_tenant, make_scim_client):
    victim, attacker = make_tenant("Victim"), make_tenant("Attacker")
    _user(make_scim_client(victim))
    body = make_scim_client(attacker).get('/Users?filter=userName eq "victim@example.com"')
    assert body.get_json()["totalResults"] == 0
    assert make_scim_client(attacker).get("/Users").get_json()["totalResults"] == 0


def test_revoked_token_stops_working(scim, db_session, tenant):
    assert scim.get("/Users").status_code == 200
    token = db_session.scalars(select(ScimToken)).one()
    tenancy.revoke_scim_token(db_session, token.id, Actor.cli())
    db_session.commit()
    assert scim.get("/Users").status_code == 401


def test_expired_token_is_refused(client, db_session, tenant):
    directory = db_session.get(Directory, tenant.directory_id)
    issued = tenancy.issue_scim_token(db_session, directory, Actor.cli(),
                                      expires_in=timedelta(seconds=1))
    issued.token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    response = client.get(f"{tenant.scim_base}/Users",
                          headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 401


def test_tokens_are_stored_only_as_hashes_and_record_last_use(scim, db_session, tenant):
    token = db_session.scalars(select(ScimToken)).one()
    assert tenant.scim_token not in (token.token_hash, token.hint)
    assert token.hint.endswith(tenant.scim_token[-4:])
    assert token.last_used_at is None
    scim.get("/Users")
    db_session.rollback()
    assert db_session.get(ScimToken, token.id).last_used_at is not None
