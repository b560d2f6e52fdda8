"""Failed authentication is limited per client address (and per SCIM directory) before any
database work: a guesser who never repeats a guess still meets 429 (RFC 6585 §4)."""
from __future__ import annotations

import os
import random
import time
from typing import Any, Iterator

import pytest
from flask import Flask
from sqlalchemy import event

from scim_server import db
from scim_server.services import secrets

from .conftest import REDIS_URL, redis_available

needs_redis = pytest.mark.skipif(not redis_available() and os.environ.get("CI") != "true",
                                 reason=f"no Redis at {REDIS_URL} (set SCIM_TEST_REDIS_URL)")
FLOOD = 600
ONE_OFF_STATEMENTS = 10


class StatementCounter:
    """Counts the SQL statements an app's engine runs while attached."""

    def __init__(self, app: Flask):
        self.engine = app.extensions[db.EXTENSION_KEY][0]
        self.count = 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> "StatementCounter":
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def address() -> Iterator[str]:
    """A client address of this test alone, so shared Redis buckets never leak between runs."""
    addr = f"198.51.100.{random.randint(1, 254)}"
    yield addr
    if redis_available():
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter("scim-server:rate:authfail:*"):
            client.delete(key)


def _flood(app: Flask, url: str, address: str, prefix: str) -> tuple[list[int], int, float]:
    client = app.test_client()
    statuses: list[int] = []
    with StatementCounter(app) as counter:
        started = time.monotonic()
        for _ in range(FLOOD):
            guess = secrets.generate(prefix)
            response = client.get(url, headers={"Authorization": f"Bearer {guess}"},
                                  environ_base={"REMOTE_ADDR": address})
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["Retry-After"]) >= 1
        elapsed = time.monotonic() - started
    return statuses, counter.count, elapsed


@pytest.mark.parametrize("api", ["scim", "admin"])
@pytest.mark.parametrize("shared", [False, pytest.param(True, marks=needs_redis)],
                         ids=["in-process", "redis"])
def test_a_flood_of_distinct_guesses_meets_429_without_queries(make_ops_app, tenant, address,
                                                               shared, api):
    app = make_ops_app(rate_limit_enabled=True, redis_url=REDIS_URL if shared else None)
    url, prefix = ((f"{tenant.scim_base}/Users", secrets.SCIM_TOKEN_PREFIX) if api == "scim"
                   else (f"{tenant.admin_base}/users", secrets.ADMIN_KEY_PREFIX))
    statuses, statements, elapsed = _flood(app, url, address, prefix)
    reached = statuses.count(401)
    # The default failure bucket: 20 at once, refilled at 1 a second.
    assert reached <= 20 + int(elapsed) + 2, (reached, elapsed)
    assert statuses.count(429) == FLOOD - reached
    # A few statements per guess that reached the database (BEGIN, revocation stamp, token
    # lookup), plus one-off work (the directory's own limit, SQLite statistics); the 429s
    # (over 550 of them) cost nothing.
    assert statements <= 3 * reached + ONE_OFF_STATEMENTS, (statements, reached)


def test_a_known_good_token_passes_while_its_address_is_locked_out(make_ops_app, tenant,
                                                                    make_tenant, address):
    app = make_ops_app(rate_limit_enabled=True, rate_limit_auth_failures_burst=3,
                       rate_limit_auth_failures_per_second=0.01)
    client = app.test_client()
    good = {"Authorization": f"Bearer {tenant.scim_token}"}
    url = f"{tenant.scim_base}/Users"
    assert client.get(url, headers=good, environ_base={"REMOTE_ADDR": address}).status_code == 200
    bogus = [client.get(url, headers={"Authorization": "Bearer nope-" + str(n)},
                        environ_base={"REMOTE_ADDR": address}).status_code for n in range(5)]
    assert bogus == [401, 401, 401, 429, 429]
    assert client.get(url, headers=good, environ_base={"REMOTE_ADDR": address}).status_code == 200
    # Another address, on another directory, is not locked out by these failures.
    elsewhere = make_tenant("Elsewhere")
    other = client.get(f"{elsewhere.scim_base}/Users", headers={"Authorization": "Bearer nope"},
                       environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 401


def test_guesses_spread_over_many_addresses_still_meet_the_directory_limit(make_ops_app,
                                                                            tenant):
    app = make_ops_app(rate_limit_enabled=True, rate_limit_auth_failures_burst=5,
                       rate_limit_auth_failures_per_second=0.01)
    client = app.test_client()
    statuses = [client.get(f"{tenant.scim_base}/Users",
                           headers={"Authorization": f"Bearer guess-{n}"},
                           environ_base={"REMOTE_ADDR": f"10.9.{n // 250}.{n % 250}"}).status_code
                for n in range(20)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
