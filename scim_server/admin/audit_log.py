"""`audit-log`: who did what to whom, newest first."""
from __future__ import annotations

from typing import Any

from .. import db
from ..models import AuditEvent
from ..services import audit_log as service
from . import auth
from .blueprint import ORG, endpoint
from .pagination import Page, SortKey, paginate
from .serializers import AuditEventSchema, AuditQuerySchema

KEYS = (SortKey(AuditEvent.id, descending=True),)


def event_document(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "occurred_at": event.occurred_at,
            "actor": {"type": event.actor_type, "id": event.actor_id},
            "action": event.action, "target": {"type": event.target_type, "id": event.target_id},
            "changes": event.changes or {}, "request_id": event.request_id}


@endpoint(ORG + "/audit-log", "GET", permission="org:read", tag="audit",
          summary="Audit events, newest first, filtered by time, actor, action and target",
          query=AuditQuerySchema, response=AuditEventSchema, paged=True)
def list_events(query: dict[str, Any]) -> Page:
    filters = service.AuditFilters(
        since=query.get("since"), until=query.get("until"), action=query.get("action"),
        actor=query.get("actor"), target=query.get("target"),
        target_type=query.get("target_type"))
    page = paginate(db.session(), service.events_query(auth.org_id(), filters), KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))
    return Page([event_document(e) for e in page.items], page.next_cursor, page.total)
