"""User interests per product over a window, against the window before."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import AccessRequest, Account, Product
from scim_server.services.user_interests import interests

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=timezone.utc)


def test_counts_requesters_decisions_median_and_change(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_product: Callable[..., Product]) -> None:
    jira, wiki, old = add_product("jira"), add_product("wiki"), add_product("old")
    ann, bob, cy = (add_account(f"{n}@acme.test") for n in ("ann", "bob", "cy"))

    def filed(product: Product, account: Account, days_ago: float, status: str = "pending",
              decided_after_hours: float | None = None) -> None:
        created = NOW - timedelta(days=days_ago)
        db_session.add(AccessRequest(
            org_id=tenant.org_id, account_id=account.id, product_id=product.id, status=status,
            created_at=created, decided_at=None if decided_after_hours is None
            else created + timedelta(hours=decided_after_hours)))

    filed(jira, ann, 1, "approved", decided_after_hours=2)
    filed(jira, ann, 2, "denied", decided_after_hours=10)
    filed(jira, bob, 3, "approved", decided_after_hours=4)
    filed(jira, cy, 6)
    filed(jira, bob, 9)           # the previous 7-day window
    filed(wiki, cy, 5, "denied", decided_after_hours=1)
    filed(wiki, ann, 8)
    filed(wiki, bob, 10)
    filed(old, ann, 20)           # older than both windows
    db_session.flush()
    week = interests(db_session, tenant.org_id, "7d", now=NOW)
    assert [i.product.key for i in week] == ["jira", "wiki"]
    jira_week, wiki_week = week
    assert (jira_week.requests, jira_week.requesters, jira_week.approved, jira_week.denied,
            jira_week.pending) == (4, 3, 2, 1, 1)
    assert jira_week.median_decision_seconds == 4 * 3600
    assert (jira_week.previous_requests, jira_week.change, jira_week.change_percent) \
        == (1, 3, 300.0)
    assert (wiki_week.requests, wiki_week.previous_requests, wiki_week.change_percent) \
        == (1, 2, -50.0)
    month = interests(db_session, tenant.org_id, "30d", now=NOW)
    assert {i.product.key: (i.requests, i.previous_requests) for i in month} == {
        "jira": (5, 0), "wiki": (3, 0), "old": (1, 0)}
    assert month[0].change_percent is None and month[2].median_decision_seconds is None
    assert interests(db_session, tenant.org_id, "90d", now=NOW - timedelta(days=400)) == []
    with pytest.raises(KeyError):
        interests(db_session, tenant.org_id, "1y", now=NOW)
