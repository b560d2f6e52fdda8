"""Reading invitations and outbox messages for admins: filters for paging, email states."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..models import Account, Invitation, OutboxMessage, utcnow
from .errors import NotFound
from .invitation_status import invitation_status_clause
from .invitation_tokens import invitation_cause
from .outbox import message_id_for


def invitations_query(org_id: str, *, status: str | None = None, state: str | None = None,
                      account_id: str | None = None, now: datetime | None = None) -> Select:
    """Invitations of the organization; superseded ones only when `state` asks for them.

    `status` is an account's invitation status: it selects each matching account's
    current invitation, so an account appears once.
    """
    stmt = (select(Invitation).join(Account, Account.id == Invitation.account_id)
            .where(Invitation.org_id == org_id))
    if state:
        stmt = stmt.where(Invitation.state == state)
    elif not status:
        stmt = stmt.where(Invitation.state != "superseded")
    if status:
        stmt = stmt.where(invitation_status_clause(status, now or utcnow()))
    if account_id:
        stmt = stmt.where(Invitation.account_id == account_id)
    return stmt


def email_states(session: Session, invitations: Iterable[Invitation]) -> dict[str, str]:
    """The outbox state of each invitation's email, keyed by invitation id (none: absent)."""
    by_message = {message_id_for(invitation_cause(i.id)): i.id for i in invitations}
    if not by_message:
        return {}
    rows = session.execute(select(OutboxMessage.message_id, OutboxMessage.status)
                           .where(OutboxMessage.message_id.in_(list(by_message))))
    return {by_message[message_id]: status for message_id, status in rows}


def outbox_query(org_id: str, *, status: str | None = None, template: str | None = None,
                 to: str | None = None) -> Select:
    """The organization's outbox messages matching every given filter, for paging."""
    stmt = select(OutboxMessage).where(OutboxMessage.org_id == org_id)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if template:
        stmt = stmt.where(OutboxMessage.template == template)
    if to:
        stmt = stmt.where(func.lower(OutboxMessage.to) == to.lower())
    return stmt


def get_outbox_message(session: Session, org_id: str, message_id: str) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.org_id != org_id:
        raise NotFound(f"no outbox message {message_id} in this organization")
    return message
