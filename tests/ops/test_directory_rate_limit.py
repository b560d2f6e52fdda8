"""A directory's own SCIM rate limit, set by an admin, and the defaults a conformance run needs."""
from __future__ import annotations

from scim_server.config import Config


def _scim_get(client, tenant):
    return client.get(f"{tenant.scim_base}/Users",
                      headers={"Authorization": f"Bearer {tenant.scim_token}"})


def _directory(tenant):
    return f"{tenant.admin_base}/directories/{tenant.directory_id}"


def test_default_scim_limit_holds_a_whole_conformance_run():
    """scim2-tester sends ~790 requests back to back (measured: docs/operations.md)."""
    config = Config()
    assert config.rate_limit_scim_burst >= 1000
    assert config.rate_limit_scim_per_second >= 100
    assert config.rate_limit_scim_burst / config.rate_limit_scim_per_second <= 10


def test_an_admin_sets_a_directory_limit_that_its_tokens_get(make_ops_app, make_tenant):
    app = make_ops_app(rate_limit_scim_burst=50, rate_limit_scim_per_second=50,
                       token_cache_seconds=0)
    client, tenant, other = app.test_client(), make_tenant("Limited"), make_tenant("Free")
    shown = client.get(_directory(tenant), headers=tenant.admin_headers).get_json()
    assert shown["rate_limit"] == {"per_second": 50.0, "burst": 50, "source": "server"}
    answer = client.patch(_directory(tenant), headers=tenant.admin_headers,
                          json={"rate_limit": {"per_second": 0.01, "burst": 2}})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["rate_limit"] == {"per_second": 0.01, "burst": 2,
                                               "source": "directory"}
    assert [_scim_get(client, tenant).status_code for _ in range(3)] == [200, 200, 429]
    assert {_scim_get(client, other).status_code for _ in range(5)} == {200}
    audit = client.get(f"{tenant.admin_base}/audit-log?action=directory.updated",
                       headers=tenant.admin_headers).get_json()["data"]
    assert audit and audit[0]["target"]["id"] == tenant.directory_id


def test_null_puts_the_directory_back_on_the_server_default(make_ops_app, make_tenant):
    app = make_ops_app(token_cache_seconds=0)
    client, tenant = app.test_client(), make_tenant("Back")
    client.patch(_directory(tenant), headers=tenant.admin_headers,
                 json={"rate_limit": {"per_second": 0.01, "burst": 1}})
    answer = client.patch(_directory(tenant), headers=tenant.admin_headers,
                          json={"rate_limit": None})
    assert answer.get_json()["rate_limit"]["source"] == "server"
    assert {_scim_get(client, tenant).status_code for _ in range(3)} == {200}


def test_a_directory_created_with_a_limit_shows_it(make_ops_app, tenant):
    client = make_ops_app().test_client()
    answer = client.post(f"{tenant.admin_base}/directories", headers=tenant.admin_headers,
                         json={"name": "Okta", "idp": "okta",
                               "rate_limit": {"per_second": 25, "burst": 300}})
    assert answer.status_code == 201
    assert answer.get_json()["rate_limit"] == {"per_second": 25.0, "burst": 300,
                                               "source": "directory"}


def test_a_bad_limit_is_a_problem_document(make_ops_app, tenant):
    client = make_ops_app().test_client()
    for bad in ({"per_second": 0, "burst": 5}, {"per_second": 5}, {"per_second": 5,
                                                                    "burst": "9"}):
        answer = client.patch(_directory(tenant), headers=tenant.admin_headers,
                              json={"rate_limit": bad})
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
