"""`outbox`: every email the organization's changes queued, and its delivery state."""
from __future__ import annotations

from typing import Any

from .. import db
from ..models import OutboxMessage
from ..services import invitation_queries as queries
from ..services.outbox_retry import retry_message
from . import auth
from .blueprint import ORG, endpoint
from .invitation_serializers import OutboxMessageSchema, OutboxQuerySchema
from .pagination import Page, SortKey, paginate
from .serializers import EmptySchema

KEYS = (SortKey(OutboxMessage.created_at, descending=True),
        SortKey(OutboxMessage.id, descending=True))
MESSAGE = ORG + "/outbox/<message_id>"


@endpoint(ORG + "/outbox", "GET", permission="org:read", tag="outbox", query=OutboxQuerySchema,
          response=OutboxMessageSchema, paged=True,
          summary="List queued and sent emails with their delivery state, newest first")
def list_outbox(query: dict[str, Any]) -> Page:
    stmt = queries.outbox_query(auth.org_id(), status=query.get("status"),
                                template=query.get("template"), to=query.get("to"))
    return paginate(db.session(), stmt, KEYS, limit=query.get("limit"),
                    cursor=query.get("cursor"))


@endpoint(MESSAGE, "GET", permission="org:read", tag="outbox", response=OutboxMessageSchema,
          summary="Read one outbox message's delivery state")
def get_outbox_message(message_id: str) -> OutboxMessage:
    return queries.get_outbox_message(db.session(), auth.org_id(), message_id)


@endpoint(MESSAGE + "/retry", "POST", permission="invitations:write", tag="outbox",
          body=EmptySchema, response=OutboxMessageSchema,
          summary="Queue a dead or failed email again with fresh attempts")
def retry_outbox_message(message_id: str, body: dict[str, Any]) -> OutboxMessage:
    return retry_message(db.session(), auth.org_id(), message_id, auth.actor())
