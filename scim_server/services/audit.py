"""Write audit events; every service that changes state calls `record` in its transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEvent, utcnow
from . import core_statements
from .actors import Actor


def record(
    session: Session,
    *,
    org_id: str | None,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the current transaction; it commits or rolls back with the change."""
    event = AuditEvent(**event_row(org_id=org_id, actor=actor, action=action,
                                   target_type=target_type, target_id=target_id,
                                   changes=changes))
    session.add(event)
    return event


def insert(session: Session, **event: Any) -> None:
    """`record` as one Core INSERT, for hot paths that write no mapped objects (a user's
    PUT, core_statements.py): the same row (`event_row`'s arguments), the same
    transaction, no unit of work."""
    core_statements.execute(session, _INSERT, event_row(**event))


_INSERT = AuditEvent.__table__.insert()


def event_row(*, org_id: str | None, actor: Actor, action: str, target_type: str | None = None,
              target_id: str | None = None, changes: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """The columns of one event, for callers that insert many at once (user_batches.py)."""
    return {"org_id": org_id, "actor_type": actor.type, "actor_id": actor.id,
            "action": action, "target_type": target_type, "target_id": target_id,
            "changes": changes or {}, "request_id": actor.request_id, "occurred_at": utcnow()}
