"""Security headers, closed CORS, strict bodies and trusted proxies."""
from __future__ import annotations

import json

import pytest

from scim_server.ops.security import JSON_CSP

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen"}


def _last_request_line(stderr: str) -> dict:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "scim_server.requests"][-1]


@pytest.mark.parametrize("path, auth", [
    ("/healthz", None), ("/scim/v2/directories/x/Users", None), ("/no/such/page", None),
    ("Users", "scim"), ("users", "admin")])
def test_every_response_carries_the_security_headers(client, tenant, path, auth):
    headers = {}
    if auth == "scim":
        path, headers = f"{tenant.scim_base}/{path}", tenant.scim_headers
    elif auth == "admin":
        path, headers = f"{tenant.admin_base}/{path}", tenant.admin_headers
    response = client.get(path, headers=headers)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # public URL is http here
    assert "Access-Control-Allow-Origin" not in response.headers
    if response.mimetype != "text/html":
        assert response.headers["Content-Security-Policy"] == JSON_CSP


def test_hsts_when_the_public_url_is_https(make_ops_app):
    client = make_ops_app(public_url="https://scim.example.com").test_client()
    assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=")


def test_cors_is_closed_by_default(client, tenant):
    headers = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    response = client.open(f"{tenant.admin_base}/users", method="OPTIONS", headers=headers)
    assert "Access-Control-Allow-Origin" not in response.headers
    actual = client.get(f"{tenant.admin_base}/users",
                        headers={**tenant.admin_headers, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in actual.headers


def test_cors_opens_to_configured_origins_only(make_ops_app, tenant):
    client = make_ops_app(cors_allowed_origins=("https://console.example",)).test_client()
    preflight = client.open(f"{tenant.admin_base}/users", method="OPTIONS", headers={
        "Origin": "https://console.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://console.example"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    actual = client.get(f"{tenant.admin_base}/users",
                        headers={**tenant.admin_headers, "Origin": "https://console.example"})
    assert actual.status_code == 200
    assert actual.headers["Access-Control-Allow-Origin"] == "https://console.example"
    assert "Origin" in actual.headers["Vary"]
    other = client.get(f"{tenant.admin_base}/users",
                       headers={**tenant.admin_headers, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_non_json_bodies_are_refused_with_415(scim, client, tenant):
    scim_answer = scim.post("/Users", data=json.dumps(USER), content_type="text/plain")
    assert scim_answer.status_code == 415 and scim_answer.mimetype == "application/scim+json"
    assert scim_answer.get_json()["status"] == "415"
    admin_answer = client.post(f"{tenant.admin_base}/sites", data="name=x",
                               content_type="application/x-www-form-urlencoded",
                               headers=tenant.admin_headers)
    assert admin_answer.status_code == 415
    assert admin_answer.mimetype == "application/problem+json"
    assert scim.post("/Users", json=USER).status_code == 201  # JSON still passes


def test_bodies_over_the_size_limit_are_refused(make_ops_app, make_scim_client, tenant):
    client = make_ops_app(max_body_bytes=1024).test_client()
    big = {**USER, "displayName": "x" * 2048}
    answer = client.post(f"{tenant.scim_base}/Users", data=json.dumps(big),
                         content_type="application/scim+json", headers=tenant.scim_headers)
    assert answer.status_code == 413 and answer.get_json()["status"] == "413"


def test_forwarded_headers_are_ignored_unless_trusted(client, make_ops_app, capsys):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    capsys.readouterr()
    client.get("/healthz", headers=forwarded)
    assert _last_request_line(capsys.readouterr().err)["remote_addr"] == "127.0.0.1"
    trusting = make_ops_app(trust_forwarded_headers=True).test_client()
    trusting.get("/healthz", headers=forwarded)
    assert _last_request_line(capsys.readouterr().err)["remote_addr"] == "203.0.113.9"
