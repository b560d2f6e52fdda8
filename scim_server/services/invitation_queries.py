"""Reading invitations and outbox messages for admins: filters for paging, email states."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Account, Invitation, OutboxMessage, utcnow
from .email_addresses import is_address
from .errors import NotFound
from .invitation_status import (account_status_clause, invitation_status_clause,
                                is_current_invitation)
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


def email_deliveries(session: Session, invitations: Iterable[Invitation]
                     ) -> dict[str, tuple[str, datetime | None]]:
    """Each invitation's email: its outbox state and when it was really sent (None while
    queued), keyed by invitation id; an invitation without email is absent."""
    by_message = {message_id_for(invitation_cause(i.id)): i.id for i in invitations}
    if not by_message:
        return {}
    rows = session.execute(
        select(OutboxMessage.message_id, OutboxMessage.status, OutboxMessage.sent_at)
        .where(OutboxMessage.message_id.in_(list(by_message))))
    return {by_message[message_id]: (status, sent_at) for message_id, status, sent_at in rows}


def email_states(session: Session, invitations: Iterable[Invitation]) -> dict[str, str]:
    """The outbox state of each invitation's email, keyed by invitation id (none: absent)."""
    return {key: state for key, (state, _sent) in email_deliveries(session, invitations).items()}


def accounts_by_status_query(org_id: str, status: str, now: datetime | None = None) -> Select:
    """Accounts whose invitation status is `status`, invited or not (synced accounts)."""
    return select(Account).where(Account.org_id == org_id,
                                 account_status_clause(status, now or utcnow()))


def current_invitations(session: Session, account_ids: list[str]) -> dict[str, Invitation]:
    """Each account's newest invitation that was not superseded, keyed by account id."""
    if not account_ids:
        return {}
    rows = session.scalars(select(Invitation).where(Invitation.account_id.in_(account_ids),
                                                    is_current_invitation()))
    return {row.account_id: row for row in rows}


def outbox_query(org_id: str, *, status: str | None = None, template: str | None = None,
                 to: str | None = None) -> Select:
    """The organization's outbox messages matching every given filter, for paging."""
    stmt = select(OutboxMessage).where(OutboxMessage.org_id == org_id)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if template:
        stmt = stmt.where(OutboxMessage.template == template)
    if to:
        stmt = stmt.where(is_address(OutboxMessage.to, to))
    return stmt


def get_outbox_message(session: Session, org_id: str, message_id: str) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.org_id != org_id:
        raise NotFound(f"no outbox message {message_id} in this organization")
    return message
