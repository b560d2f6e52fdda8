"""An admin's "Retry" of an email: the one rule the admin API and the console share."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import OutboxMessage
from . import audit
from . import invitation_queries as queries
from .actors import Actor
from .errors import Conflict
from .outbox_worker import requeue


def retry_message(session: Session, org_id: str, message_id: str,
                  actor: Actor) -> OutboxMessage:
    """Queue a dead or failed message again with fresh attempts, and audit it.

    Any other state is a conflict: a queued or sending message is already on its way and a
    sent one must never be sent twice.
    """
    message = queries.get_outbox_message(session, org_id, message_id)
    previous = message.status
    if not requeue(session, message.id):
        raise Conflict(f"message {message_id} is {previous}; only dead or failed messages "
                       "can be retried")
    session.refresh(message)
    audit.record(session, org_id=org_id, actor=actor, action="outbox.requeued",
                 target_type="outbox_message", target_id=message.id,
                 changes={"status": [previous, "queued"]})
    return message
