"""Prometheus metrics: request counters, SCIM operations, tolerances, database gauges, access."""
from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from scim_server.models import (Account, Group, GroupMember, OutboxMessage, Product, ProductGrant,
                                Site, utcnow)
from scim_server.ops import metrics

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, metric: str, **labels: str) -> float | None:
    return found.get((metric, tuple(sorted(labels.items()))))


@pytest.mark.parametrize("route, method, expected", [
    ("/scim/v2/directories/<directory_id>/Users", "GET", ("Users", "list")),
    ("/scim/v2/directories/<directory_id>/Users", "POST", ("Users", "create")),
    ("/scim/v2/directories/<directory_id>/Users/<user_id>", "GET", ("Users", "get")),
    ("/scim/v2/directories/<directory_id>/Groups/<group_id>", "PATCH", ("Groups", "patch")),
    ("/scim/v2/directories/<directory_id>/Groups/<group_id>", "PUT", ("Groups", "replace")),
    ("/scim/v2/directories/<directory_id>/Users/<user_id>", "DELETE", ("Users", "delete")),
    ("/scim/v2/directories/<directory_id>/Users/.search", "POST", ("Users", "search")),
    ("/scim/v2/directories/<directory_id>/.search", "POST", ("root", "search")),
    ("/scim/v2/directories/<directory_id>/Bulk", "POST", ("Bulk", "bulk")),
    ("/scim/v2/directories/<directory_id>/Schemas/<schema_id>", "GET", ("Schemas", "discovery")),
    ("/admin/v1/orgs/<org_id>/users", "GET", None),
    ("<unmatched>", "GET", None),
])
def test_scim_operation_of_a_route(route, method, expected):
    assert metrics.scim_operation_of(route, method) == expected


def test_requests_are_counted_by_route_status_and_directory(scim, tenant, client):
    route = "/scim/v2/directories/<directory_id>/Users"
    counted = metrics.HTTP_REQUESTS.labels(route, "POST", "201", tenant.directory_id)
    created = metrics.SCIM_OPERATIONS.labels("Users", "create", "success")
    conflicts = metrics.SCIM_OPERATIONS.labels("Users", "create", "409")
    latency = metrics.HTTP_LATENCY.labels(route, "POST")
    before = (counted._value.get(), created._value.get(), conflicts._value.get(),
              latency._sum.get())
    assert scim.post("/Users", json=USER).status_code == 201
    assert scim.post("/Users", json=USER).status_code == 409
    assert counted._value.get() == before[0] + 1
    assert created._value.get() == before[1] + 1
    assert conflicts._value.get() == before[2] + 1
    assert latency._sum.get() > before[3]
    text = client.get("/metrics").get_data(as_text=True)
    assert value(samples(text), "scim_server_http_requests_total", route=route, method="POST",
                 status="201", directory=tenant.directory_id) == before[0] + 1


def test_unauthenticated_requests_never_name_a_directory(client, tenant):
    bogus = "/scim/v2/directories/attacker-chosen-id/Users"
    client.get(bogus, headers={"Authorization": "Bearer nope"})
    text = client.get("/metrics").get_data(as_text=True)
    assert "attacker-chosen-id" not in text


def test_helpers_for_other_modules_show_up(client, tenant):
    metrics.record_scim_operation("Users", "bulk-create", "success")
    metrics.record_tolerance(tenant.directory_id, "string_booleans")
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert value(found, "scim_server_scim_operations_total", resource="Users",
                 operation="bulk-create", result="success") >= 1
    assert value(found, "scim_server_idp_tolerances_total", directory=tenant.directory_id,
                 name="string_booleans") == 1


def _outbox(db_session, tenant, status, due_minutes_ago=0):
    db_session.add(OutboxMessage(
        org_id=tenant.org_id, message_id=f"test-{status}-{due_minutes_ago}", to="a@example.com",
        template="t", subject="s", body_text="b", status=status,
        next_attempt_at=utcnow() - timedelta(minutes=due_minutes_ago)))


def test_outbox_and_licence_gauges_come_from_the_database(make_ops_app, tenant, db_session):
    for status, minutes in [("queued", 0), ("queued", 90), ("failed", 5), ("dead", 1),
                            ("sent", 2)]:
        _outbox(db_session, tenant, status, minutes)
    site = db_session.scalars(select(Site).where(Site.org_id == tenant.org_id)).one()
    product = Product(org_id=tenant.org_id, site_id=site.id, key="jira", name="Jira",
                      seat_limit=10)
    unlimited = Product(org_id=tenant.org_id, site_id=site.id, key="wiki", name="Wiki")
    db_session.add_all([product, unlimited])
    accounts = [Account(org_id=tenant.org_id, email=f"u{n}@example.com",
                        email_norm=f"u{n}@example.com", status=status)
                for n, status in enumerate(["active", "active", "deactivated", "active"])]
    group = Group(org_id=tenant.org_id, source="admin", display_name="Eng",
                  display_name_norm="eng", attributes={})
    db_session.add_all([*accounts, group])
    db_session.flush()
    db_session.add_all([
        *(ProductGrant(org_id=tenant.org_id, product_id=product.id, account_id=a.id)
          for a in accounts[:3]),
        ProductGrant(org_id=tenant.org_id, product_id=product.id, group_id=group.id),
        GroupMember(group_id=group.id, member_id=accounts[3].id, member_type="User"),
    ])
    db_session.commit()
    client = make_ops_app(metrics_database_cache_seconds=0).test_client()
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert value(found, "scim_server_metrics_database_up") == 1
    depth = {s: value(found, "scim_server_outbox_messages", status=s)
             for s in ("queued", "sending", "sent", "failed", "dead")}
    assert depth == {"queued": 2, "sending": 0, "sent": 1, "failed": 1, "dead": 1}
    assert 89 * 60 < value(found, "scim_server_outbox_oldest_due_age_seconds") < 95 * 60
    labels = {"org": tenant.org_id, "product": product.id}
    assert value(found, "scim_server_licence_seats_used", **labels) == 3  # deactivated: no seat
    assert value(found, "scim_server_licence_seat_limit", **labels) == 10
    assert value(found, "scim_server_licence_seats_used", org=tenant.org_id,
                 product=unlimited.id) == 0
    assert value(found, "scim_server_licence_seat_limit", org=tenant.org_id,
                 product=unlimited.id) is None


def test_database_gauges_are_cached_between_scrapes(make_ops_app, tenant, db_session):
    client = make_ops_app(metrics_database_cache_seconds=3600).test_client()
    first = value(samples(client.get("/metrics").get_data(as_text=True)),
                  "scim_server_outbox_messages", status="queued")
    _outbox(db_session, tenant, "queued")
    db_session.commit()
    second = value(samples(client.get("/metrics").get_data(as_text=True)),
                   "scim_server_outbox_messages", status="queued")
    assert first == second == 0


def test_an_unreadable_database_is_reported_not_raised(make_ops_app, tmp_path):
    missing = tmp_path / "gone" / "scim.sqlite3"
    client = make_ops_app(database_url=f"sqlite:///{missing}",
                          metrics_database_cache_seconds=0).test_client()
    answer = client.get("/metrics")
    assert answer.status_code == 200
    found = samples(answer.get_data(as_text=True))
    assert value(found, "scim_server_metrics_database_up") == 0


def test_metrics_are_for_loopback_callers_when_no_token_is_set(client, tenant):
    assert client.get("/metrics").status_code == 200
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert remote.status_code == 403 and remote.mimetype == "application/problem+json"
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
    assert proxied.status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_a_metrics_token_is_required_when_set_and_no_other_credential_works(make_ops_app, tenant):
    client = make_ops_app(metrics_token="metrics-token-for-tests-0123").test_client()
    assert client.get("/metrics").status_code == 401
    for credential in (tenant.scim_token, tenant.admin_key, "wrong-token"):
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {credential}"})
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    good = {"Authorization": "Bearer metrics-token-for-tests-0123"}
    allowed = client.get("/metrics", headers=good, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert allowed.status_code == 200
    assert allowed.content_type.startswith("text/plain")
    assert "metrics-token-for-tests-0123" not in allowed.get_data(as_text=True)
