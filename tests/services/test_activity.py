"""Activity reports: per product and overall last-active times only move forward."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, AuditEvent, Product, utcnow
from scim_server.services.activity import record_activity
from scim_server.services.actors import Actor
from scim_server.services.errors import InvalidInput, NotFound

PRODUCT = Actor("admin_key", "product")


def test_latest_report_wins_and_only_the_first_is_audited(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_product: Callable[..., Product]) -> None:
    ann, jira = add_account("ann@acme.test"), add_product("jira")
    recent, older = utcnow() - timedelta(hours=1), utcnow() - timedelta(days=5)
    row, account = record_activity(db_session, tenant.org_id, jira.id, PRODUCT,
                                   account_id=ann.id, at=recent)
    assert (row.last_active_at, account.last_active_at, account.has_accessed) == (
        recent, recent, True)
    row, account = record_activity(db_session, tenant.org_id, jira.id, PRODUCT,
                                   email="ANN@acme.test", at=older)
    assert (row.last_active_at, account.last_active_at) == (recent, recent)
    audited = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "activity.first_seen"))
    assert audited == 1
    with pytest.raises(InvalidInput, match="future"):
        record_activity(db_session, tenant.org_id, jira.id, PRODUCT, account_id=ann.id,
                        at=utcnow() + timedelta(hours=1))
    with pytest.raises(NotFound):
        record_activity(db_session, tenant.org_id, "nope", PRODUCT, account_id=ann.id)
