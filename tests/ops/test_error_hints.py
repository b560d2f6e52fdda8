"""Errors keep their hints: redaction masks secrets, never the server's own words; the
wrong kind of credential is named; a SCIM path without its directory shows the shape."""
from __future__ import annotations

from scim_server.ops.redaction import redact

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def test_the_servers_own_words_survive_redaction():
    for hint in ("the bearer token is unknown, expired or revoked",
                 "an admin key is required (Authorization: Bearer <key>)",
                 "a bearer token is required (Authorization: Bearer <token>)"):
        assert redact(hint) == hint


def test_secrets_next_to_those_words_are_still_masked():
    assert "scimsrv_dt_Abc123secret" not in redact("Authorization: Bearer scimsrv_dt_Abc123secret")
    assert redact("bearer eyJhbGciOiJIUzI1NiJ9.e30.sig") == "bearer [REDACTED]"
    assert redact("Basic dXNlcjpwYXNz") == "Basic [REDACTED]"
    assert redact("Bearer abcdefghijklmnopqrstuvwxyz") == "Bearer [REDACTED]"
    assert redact("password=hunter") == "password=[REDACTED]"


def test_scim_401_bodies_read_properly(client, tenant):
    missing = client.get(f"{tenant.scim_base}/Users").get_json()
    assert missing["detail"] == "a bearer token is required (Authorization: Bearer <token>)"
    unknown = client.get(f"{tenant.scim_base}/Users",
                         headers={"Authorization": "Bearer scimsrv_dt_nope0000000000"})
    assert unknown.get_json()["detail"] == "the bearer token is unknown, expired or revoked"


def test_admin_401_bodies_read_properly(client, tenant):
    missing = client.get(f"{tenant.admin_base}/users").get_json()
    assert missing["detail"] == "an admin key is required (Authorization: Bearer <key>)"


def test_an_admin_key_sent_to_scim_is_named(client, tenant):
    answer = client.get(f"{tenant.scim_base}/Users", headers=tenant.admin_headers)
    body = answer.get_json()
    assert answer.status_code == 401 and body["schemas"] == [SCIM_ERROR]
    assert "this is an admin key" in body["detail"] and "SCIM token" in body["detail"]
    assert tenant.admin_key not in answer.get_data(as_text=True)


def test_a_scim_token_sent_to_the_admin_api_is_named(client, tenant):
    answer = client.get(f"{tenant.admin_base}/users", headers=tenant.scim_headers)
    body = answer.get_json()
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    assert "this is a SCIM token" in body["detail"] and "admin key" in body["detail"]
    assert tenant.scim_token not in answer.get_data(as_text=True)


def test_scim_paths_without_a_directory_get_a_scim_404_with_the_shape(client, tenant):
    for path, shown in (("/scim/v2/Users", "/scim/v2/directories/{directory_id}/Users"),
                        ("/scim/v2/Groups/abc", "/scim/v2/directories/{directory_id}/Groups/abc"),
                        ("/scim/v2/ServiceProviderConfig",
                         "/scim/v2/directories/{directory_id}/ServiceProviderConfig")):
        answer = client.get(path, headers=tenant.scim_headers)
        body = answer.get_json()
        assert answer.status_code == 404 and answer.mimetype == "application/scim+json"
        assert body["schemas"] == [SCIM_ERROR] and body["status"] == "404"
        assert shown in body["detail"]
