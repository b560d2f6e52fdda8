"""Per-credential rate limits: token buckets, 429 bodies, Redis shared across processes."""
from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request

import pytest

from scim_server.config import Config
from scim_server.ops import metrics
from scim_server.ops.rate_limit import LocalBuckets, Limit, limit_for
from scim_server.services import secrets

from .conftest import REDIS_URL, free_port, redis_available

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
# Without Redis the shared-limit tests are skipped, except under CI=true, where they must run.
needs_redis = pytest.mark.skipif(not redis_available() and os.environ.get("CI") != "true",
                                 reason=f"no Redis at {REDIS_URL} (set SCIM_TEST_REDIS_URL)")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate():
    clock = FakeClock()
    buckets, limit = LocalBuckets(clock), Limit(per_second=2.0, burst=3)
    assert [buckets.take("k", limit).allowed for _ in range(4)] == [True, True, True, False]
    denied = buckets.take("k", limit)
    assert not denied.allowed and denied.retry_after == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("k", limit).allowed
    assert not buckets.take("k", limit).allowed
    assert buckets.take("other", limit).allowed  # one bucket per credential


def test_default_limits_never_throttle_an_entra_sync():
    """Entra ID sends up to 25 requests/s per tenant, in bursts; ten minutes of it pass."""
    clock = FakeClock()
    buckets, limit = LocalBuckets(clock), limit_for(Config(), "scim")
    denied = 0
    for _second in range(600):
        for burst in range(2):  # 25/s arriving as two bursts of 12-13 at the same instant
            for _ in range(13 if burst == 0 else 12):
                denied += not buckets.take("entra", limit).allowed
            clock.now += 0.5
    assert denied == 0
    # ...while a runaway client sending 1,000/s is told to slow down within a few seconds.
    runaway = 0
    for _ in range(1000 * 5):
        clock.now += 0.001
        runaway += not buckets.take("runaway", limit).allowed
    assert runaway > 0


def test_idle_buckets_are_forgotten_so_memory_stays_bounded():
    clock = FakeClock()
    buckets, limit = LocalBuckets(clock, max_keys=10), Limit(per_second=1.0, burst=2)
    for n in range(50):
        buckets.take(f"key-{n}", limit)
        clock.now += 5  # every earlier bucket has refilled by now
    assert len(buckets._buckets) <= 11


def _scim_get(client, tenant, token=None):
    return client.get(f"{tenant.scim_base}/Users",
                      headers={"Authorization": f"Bearer {token or tenant.scim_token}"})


def test_scim_429_has_retry_after_and_a_scim_error(make_ops_app, make_tenant):
    app = make_ops_app(rate_limit_scim_burst=3, rate_limit_scim_per_second=0.01)
    client, tenant, other = app.test_client(), make_tenant("One"), make_tenant("Two")
    before = metrics.RATE_LIMITED.labels("scim")._value.get()
    statuses = [_scim_get(client, tenant).status_code for _ in range(3)]
    refused = _scim_get(client, tenant)
    assert statuses == [200, 200, 200] and refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 100
    assert refused.mimetype == "application/scim+json"
    body = refused.get_json()
    assert body["schemas"] == [SCIM_ERROR] and body["status"] == "429" and body["detail"]
    assert _scim_get(client, other).status_code == 200  # another token has its own bucket
    assert client.get("/healthz").status_code == 200
    assert metrics.RATE_LIMITED.labels("scim")._value.get() == before + 1


def test_unknown_tokens_are_throttled_before_they_reach_the_database(make_ops_app, tenant):
    client = make_ops_app(rate_limit_scim_burst=2, rate_limit_scim_per_second=0.01).test_client()
    guess = secrets.generate(secrets.SCIM_TOKEN_PREFIX)
    assert [_scim_get(client, tenant, guess).status_code for _ in range(3)] == [401, 401, 429]


def test_admin_429_is_a_problem_document(make_ops_app, tenant):
    client = make_ops_app(rate_limit_admin_burst=2, rate_limit_admin_per_second=0.01).test_client()
    answers = [client.get(f"{tenant.admin_base}/users", headers=tenant.admin_headers)
               for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[-1]
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["status"] == 429
    assert refused.get_json()["type"].endswith("rate-limited")
    assert int(refused.headers["Retry-After"]) >= 1


def test_limits_can_be_switched_off(make_ops_app, tenant):
    client = make_ops_app(rate_limit_enabled=False, rate_limit_scim_burst=1).test_client()
    assert {_scim_get(client, tenant).status_code for _ in range(5)} == {200}


def _alternate(clients, tenant, count):
    return [_scim_get(clients[n % len(clients)], tenant).status_code for n in range(count)]


@needs_redis
def test_redis_shares_one_bucket_between_processes(make_ops_app, tenant):
    settings = {"rate_limit_scim_burst": 4, "rate_limit_scim_per_second": 0.01}
    shared = [make_ops_app(redis_url=REDIS_URL, **settings).test_client() for _ in range(2)]
    assert _alternate(shared, tenant, 10).count(200) == 4


def test_without_redis_each_process_has_its_own_bucket(make_ops_app, tenant):
    settings = {"rate_limit_scim_burst": 4, "rate_limit_scim_per_second": 0.01}
    separate = [make_ops_app(**settings).test_client() for _ in range(2)]
    assert _alternate(separate, tenant, 10).count(200) == 8


def test_a_redis_outage_falls_back_to_per_process_buckets(make_ops_app, tenant, caplog):
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    app = make_ops_app(redis_url=dead_redis, rate_limit_scim_burst=2,
                       rate_limit_scim_per_second=0.01)
    with caplog.at_level(logging.WARNING):
        statuses = [_scim_get(app.test_client(), tenant).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "Redis unavailable" in caplog.text


def _http_get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}",
                                                   "Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@needs_redis
def test_two_server_processes_share_the_limit_through_redis(start_server, tenant):
    env = {"SCIM_REDIS_URL": REDIS_URL, "SCIM_RATE_LIMIT_ENABLED": "1",
           "SCIM_RATE_LIMIT_SCIM_BURST": "4", "SCIM_RATE_LIMIT_SCIM_PER_SECOND": "0.01"}
    servers = [start_server(env=env), start_server(env=env)]
    answers = [_http_get(servers[n % 2].base_url + tenant.scim_base + "/Users", tenant.scim_token)
               for n in range(12)]
    statuses = [status for status, _, _ in answers]
    assert statuses.count(200) == 4 and statuses.count(429) == 8, statuses
    for status, headers, body in answers:
        if status == 429:
            assert int(headers["Retry-After"]) >= 1
            assert json.loads(body)["schemas"] == [SCIM_ERROR]
    for server in servers:  # each process answered half, and refused some itself
        seen = [line["status"] for line in server.request_lines()
                if line["route"].endswith("/Users")]
        assert len(seen) == 6 and 429 in seen


def test_public_endpoints_are_limited_per_client_address(make_ops_app, tenant):
    client = make_ops_app(rate_limit_public_burst=2,
                          rate_limit_public_per_second=0.01).test_client()
    body = {"email": "someone@example.com", "product_id": "nope"}
    statuses = [client.post("/signup", json=body).status_code for _ in range(3)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429
    refused = client.post("/invitations/accept", json={"token": "x"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.mimetype == "application/problem+json"
    other = client.post("/signup", json=body, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code != 429, "another address has its own bucket"
