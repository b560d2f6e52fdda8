"""Reading the audit log: filters by time, actor, action and target, newest first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from ..models import AuditEvent


@dataclass(frozen=True)
class AuditFilters:
    """`action` ending in `*` matches a prefix (`user.*`); `actor` is `type` or `type:id`."""

    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    actor: str | None = None
    target: str | None = None
    target_type: str | None = None


def events_query(org_id: str, filters: AuditFilters) -> Select:
    """The organization's audit events matching every filter (order is the caller's)."""
    stmt = select(AuditEvent).where(AuditEvent.org_id == org_id)
    if filters.since:
        stmt = stmt.where(AuditEvent.occurred_at >= filters.since)
    if filters.until:
        stmt = stmt.where(AuditEvent.occurred_at < filters.until)
    if filters.action:
        if filters.action.endswith("*"):
            prefix = filters.action[:-1]
            stmt = stmt.where(AuditEvent.action.startswith(prefix, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.actor:
        actor_type, _, actor_id = filters.actor.partition(":")
        stmt = stmt.where(AuditEvent.actor_type == actor_type)
        if actor_id:
            stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if filters.target:
        stmt = stmt.where(AuditEvent.target_id == filters.target)
    if filters.target_type:
        stmt = stmt.where(AuditEvent.target_type == filters.target_type)
    return stmt
