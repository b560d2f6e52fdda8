"""`invitations`: invite people with or without products; resend, revoke, list by status.

`users/{id}/invite` sends an invitation to an account that exists already (a synced one,
or one invited with `send_email: false`): no account ever gets an email unasked.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from .. import db
from ..config import Config
from ..models import Account, Invitation
from ..services import invitation_queries as queries
from ..services import invitation_tokens as tokens
from ..services.invitation_status import invitation_statuses
from ..services.invitations import InviteRequest, count_results, invite
from . import auth
from .blueprint import ORG, endpoint
from .invitation_serializers import (InvitationSchema, InvitationsQuerySchema,
                                     InviteMessageSchema, InviteResultsSchema, InviteSchema)
from .pagination import Page, SortKey, paginate
from .serializers import EmptySchema

KEYS = (SortKey(Invitation.created_at, descending=True), SortKey(Invitation.id, descending=True))
ACCOUNT_KEYS = (SortKey(Account.created_at, descending=True),
                SortKey(Account.id, descending=True))
NOT_SENT = "invitation_not_sent"
INVITATION = ORG + "/invitations/<invitation_id>"


def settings() -> tokens.InvitationSettings:
    config: Config = current_app.config["SCIM"]
    return tokens.InvitationSettings(public_url=config.public_url,
                                     ttl_days=config.invitation_ttl_days)


def invitation_documents(session: Session, invitations: list[Invitation]
                         ) -> list[dict[str, Any]]:
    """Invitations with their account's email and status and their email's state."""
    account_ids = list(dict.fromkeys(i.account_id for i in invitations))
    accounts = {a.id: a for a in (session.get(Account, a) for a in account_ids) if a}
    statuses = invitation_statuses(session, list(accounts.values()))
    emails = queries.email_deliveries(session, invitations)
    return [{
        "id": i.id, "account_id": i.account_id,
        "email": accounts[i.account_id].email if i.account_id in accounts else None,
        "state": i.state, "invitation_status": statuses.get(i.account_id, "no_site_access"),
        "send_email": i.send_email, "email_status": emails.get(i.id, (None, None))[0],
        "products": i.products or [], "groups": i.groups or [], "site_role": i.site_role,
        "message": i.message, "created_at": i.created_at, "expires_at": i.expires_at,
        "email_sent_at": emails.get(i.id, (None, None))[1], "accepted_at": i.accepted_at,
        "revoked_at": i.revoked_at,
    } for i in invitations]


def _not_sent(session: Session, query: dict[str, Any]) -> Page:
    """Accounts whose status is `invitation_not_sent`, with their current invitation or,
    for accounts never invited (synced ones), an entry with `id: null`."""
    stmt = queries.accounts_by_status_query(auth.org_id(), NOT_SENT)
    if query.get("account_id"):
        stmt = stmt.where(Account.id == query["account_id"])
    page = paginate(session, stmt, ACCOUNT_KEYS, limit=query.get("limit"),
                    cursor=query.get("cursor"))
    current = queries.current_invitations(session, [a.id for a in page.items])
    documents = {d["account_id"]: d for d in invitation_documents(session, list(current.values()))}
    return Page([documents.get(a.id) or _never_invited(a) for a in page.items],
                page.next_cursor, page.total)


def _never_invited(account: Account) -> dict[str, Any]:
    return {"id": None, "account_id": account.id, "email": account.email, "state": None,
            "invitation_status": NOT_SENT, "send_email": False, "email_status": None,
            "products": [], "groups": [], "site_role": None, "message": None,
            "created_at": None, "expires_at": None, "email_sent_at": None,
            "accepted_at": None, "revoked_at": None}


@endpoint(ORG + "/invitations", "POST", permission="invitations:write", tag="invitations",
          body=InviteSchema, response=InviteResultsSchema,
          summary="Invite addresses, with or without products; one result per address")
def create_invitations(body: dict[str, Any]) -> dict[str, Any]:
    request = InviteRequest(emails=body["emails"], products=body["products"],
                            groups=body["groups"], site_role=body["site_role"],
                            send_email=body["send_email"], message=body["message"])
    results = invite(db.session(), auth.org_id(), request, auth.actor(), settings())
    return {"data": results, "meta": {"total": len(results), "counts": count_results(results)}}


@endpoint(ORG + "/invitations", "GET", permission="org:read", tag="invitations",
          query=InvitationsQuerySchema, response=InvitationSchema, paged=True,
          summary="List invitations, newest first; filter by invitation status or state")
def list_invitations(query: dict[str, Any]) -> Page:
    session = db.session()
    if query.get("status") == NOT_SENT and not query.get("state"):
        return _not_sent(session, query)
    stmt = queries.invitations_query(auth.org_id(), status=query.get("status"),
                                     state=query.get("state"),
                                     account_id=query.get("account_id"))
    page = paginate(session, stmt, KEYS, limit=query.get("limit"), cursor=query.get("cursor"))
    return Page(invitation_documents(session, page.items), page.next_cursor, page.total)


@endpoint(INVITATION, "GET", permission="org:read", tag="invitations",
          response=InvitationSchema, summary="Read an invitation")
def get_invitation(invitation_id: str) -> dict[str, Any]:
    session = db.session()
    invitation = tokens.get_invitation(session, auth.org_id(), invitation_id)
    return invitation_documents(session, [invitation])[0]


@endpoint(INVITATION + "/resend", "POST", permission="invitations:write", tag="invitations",
          body=InviteMessageSchema, response=InvitationSchema, statuses=(201,),
          summary="Send a new invitation (fresh link and expiry); the old link stops working")
def resend_invitation(invitation_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    invitation = tokens.resend(session, auth.org_id(), invitation_id, auth.actor(), settings(),
                               message=body.get("message"))
    return invitation_documents(session, [invitation])[0]


@endpoint(INVITATION + "/revoke", "POST", permission="invitations:write", tag="invitations",
          body=EmptySchema, response=InvitationSchema,
          summary="Revoke an invitation: its link stops working (idempotent)")
def revoke_invitation(invitation_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    invitation = tokens.revoke(session, auth.org_id(), invitation_id, auth.actor())
    return invitation_documents(session, [invitation])[0]


@endpoint(ORG + "/users/<account_id>/invite", "POST", permission="invitations:write",
          tag="invitations", body=InviteMessageSchema, response=InvitationSchema,
          statuses=(201,), summary="Send or resend an invitation to an existing user")
def invite_user(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    invitation = tokens.invite_account(session, auth.org_id(), account_id, auth.actor(),
                                       settings(), message=body.get("message"))
    return invitation_documents(session, [invitation])[0]
