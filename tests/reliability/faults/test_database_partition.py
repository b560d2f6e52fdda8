"""A silent partition between server and PostgreSQL answers 503 within a bound, and the
server recovers alone when the network does (issue 11, finding 6).

The real `scim-server serve --workers 2` talks to PostgreSQL through a proxy; the proxy
then stops forwarding without closing anything, as a dropped route or a hung pooler does.
"""
from __future__ import annotations

import time
from typing import Callable

import pytest
import requests
from sqlalchemy.engine import make_url

from conftest import Tenant
from .conftest import BlackholeProxy, ServerProcess

STATEMENT_TIMEOUT = 2.0
GRACE = 1.0
BOUND_TO_503 = 8.0  # deadline 3 s, or a 2 s connect timeout, plus a request's own work
BOUND_TO_RECOVER = 10.0


def test_a_silent_partition_answers_503_in_bound_and_recovers(
        database_url: str, backend: str, tenant: Tenant,
        blackhole_proxy: Callable[[int], BlackholeProxy],
        start_server: Callable[..., ServerProcess]) -> None:
    if backend != "postgresql":
        pytest.skip("a network partition needs a networked database")
    url = make_url(database_url)
    proxy = blackhole_proxy(url.port or 5432)
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False)
    server = start_server("--workers", "2", env={
        "SCIM_DATABASE_URL": through_proxy,
        "SCIM_DATABASE_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT),
        "SCIM_DATABASE_DEADLINE_GRACE_SECONDS": str(GRACE),
        "SCIM_DATABASE_CONNECT_TIMEOUT_SECONDS": "2",
        "SCIM_DATABASE_KEEPALIVES_IDLE_SECONDS": "1",
        "SCIM_DATABASE_KEEPALIVES_INTERVAL_SECONDS": "1",
        "SCIM_DATABASE_KEEPALIVES_COUNT": "2",
        "SCIM_DATABASE_TCP_USER_TIMEOUT_SECONDS": "3",
        "SCIM_TOKEN_CACHE_SECONDS": "0"})
    users = f"{server.base_url}{tenant.scim_base}/Users"
    headers = {"Authorization": f"Bearer {tenant.scim_token}"}
    for _ in range(6):  # both workers hold pooled connections through the proxy
        assert requests.get(users, headers=headers, timeout=10).status_code == 200

    proxy.blackhole()
    to_503: list[float] = []
    for path in (users, users, users, server.base_url + "/readyz"):
        started = time.monotonic()
        try:
            status = requests.get(path, headers=headers, timeout=30).status_code
        except requests.Timeout:
            status = 0
        to_503.append(time.monotonic() - started)
        assert status == 503, f"{path} answered {status} after {to_503[-1]:.1f}s"
    print(f"\npartition: time to 503 {', '.join(f'{t:.2f}' for t in to_503)} s")
    assert max(to_503) < BOUND_TO_503

    proxy.restore()
    restored = time.monotonic()
    recovered = None
    while time.monotonic() - restored < 30:
        try:
            if requests.get(users, headers=headers, timeout=10).status_code == 200:
                recovered = time.monotonic() - restored
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)
    assert recovered is not None, "the server did not recover in 30 s"
    print(f"partition: recovered {recovered:.2f} s after the network came back")
    assert recovered < BOUND_TO_RECOVER
    for _ in range(6):  # every worker, every pooled connection: fresh and working
        assert requests.get(users, headers=headers, timeout=10).status_code == 200
