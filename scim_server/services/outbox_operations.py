"""The outbox across every organization: what an operator, not a tenant's admin, looks at.

A tenant's admin sees and retries its own messages through the admin API (`outbox`); an
operator whose SMTP relay was down for an hour needs to see and retry the dead messages
of every tenant at once (`scim-server outbox list|retry`).
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import OutboxMessage
from . import audit
from .actors import Actor
from .errors import InvalidInput
from .outbox_worker import requeue

RETRYABLE = ("dead", "failed")


def list_messages(session: Session, *, status: str | None = None, org_id: str | None = None,
                  limit: int = 100) -> list[OutboxMessage]:
    """Messages newest first, optionally of one state or one organization."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                          OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    if org_id is not None:
        stmt = stmt.where(OutboxMessage.org_id == org_id)
    return list(session.scalars(stmt))


def count_by_status(session: Session) -> dict[str, int]:
    """How many messages are in each state, database-wide."""
    rows = session.execute(select(OutboxMessage.status, func.count())
                           .group_by(OutboxMessage.status))
    return {status: int(count) for status, count in rows}


def retry(session: Session, actor: Actor, *, message_ids: Sequence[str] = (),
          all_dead: bool = False, org_id: str | None = None) -> list[str]:
    """Queue dead or failed messages again with fresh attempts; returns the ids requeued.

    Each requeue is audited in the message's organization, as an admin's retry is.
    """
    if bool(message_ids) == all_dead:
        raise InvalidInput("name message ids or ask for every dead message, not both")
    stmt = select(OutboxMessage).where(OutboxMessage.status.in_(RETRYABLE))
    if message_ids:
        stmt = stmt.where(OutboxMessage.id.in_(list(message_ids)))
    if org_id is not None:
        stmt = stmt.where(OutboxMessage.org_id == org_id)
    requeued: list[str] = []
    for message in session.scalars(stmt.order_by(OutboxMessage.created_at)).all():
        previous = message.status
        if requeue(session, message.id):
            requeued.append(message.id)
            audit.record(session, org_id=message.org_id, actor=actor, action="outbox.requeued",
                         target_type="outbox_message", target_id=message.id,
                         changes={"status": [previous, "queued"]})
    return requeued
