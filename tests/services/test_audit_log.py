"""Audit log queries: filters by time, actor, action (exact or prefix) and target."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import AuditEvent, utcnow
from scim_server.services import audit
from scim_server.services.actors import Actor
from scim_server.services.audit_log import AuditFilters, events_query


def test_filters(db_session: Session, make_tenant: Callable[..., Tenant]) -> None:
    tenant, other = make_tenant("Mine"), make_tenant("Other")
    org = tenant.org_id
    audit.record(db_session, org_id=org, actor=Actor("admin_key", "k1"), action="user.updated",
                 target_type="user", target_id="u1")
    audit.record(db_session, org_id=org, actor=Actor("directory_token", "t1"),
                 action="user_%.created", target_type="user", target_id="u2")
    audit.record(db_session, org_id=other.org_id, actor=Actor("admin_key", "k1"),
                 action="user.updated", target_type="user", target_id="u1")
    db_session.flush()

    def actions(**filters: object) -> list[str]:
        stmt = events_query(org, AuditFilters(**filters)).where(  # type: ignore[arg-type]
            AuditEvent.actor_type != "cli")
        return sorted(e.action for e in db_session.scalars(stmt))

    assert actions() == ["user.updated", "user_%.created"]
    assert actions(action="user.*") == ["user.updated"]
    assert actions(action="user_%*") == ["user_%.created"]
    assert actions(actor="admin_key:k1") == ["user.updated"]
    assert actions(actor="directory_token") == ["user_%.created"]
    assert actions(target="u2", target_type="user") == ["user_%.created"]
    assert actions(since=utcnow() + timedelta(minutes=1)) == []
    assert actions(until=utcnow() + timedelta(minutes=1)) == ["user.updated", "user_%.created"]
