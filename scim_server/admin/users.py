"""`users`: accounts, their product access with routes, and their lifecycle."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import db
from ..models import Account, SiteAccess
from ..services import account_lifecycle as lifecycle
from ..services import org_accounts
from ..services.invitation_status import invitation_statuses
from ..services.product_access import effective_access
from . import auth
from .blueprint import ORG, endpoint, precondition
from .pagination import Page, SortKey, paginate
from .serializers import (AccountSchema, DeactivateSchema, EmptySchema, SiteAccessPutSchema,
                          SiteAccessSchema, UserUpdateSchema, UsersQuerySchema)

KEYS = (SortKey(Account.created_at), SortKey(Account.id))
USER = ORG + "/users/<account_id>"


def account_documents(session: Session, accounts: list[Account]) -> list[dict[str, Any]]:
    """Accounts with invitation status, product access, groups and sites, in a few queries."""
    ids = [a.id for a in accounts]
    statuses = invitation_statuses(session, accounts)
    access = effective_access(session, ids)
    groups = org_accounts.direct_groups(session, ids)
    sites: dict[str, list[SiteAccess]] = {a: [] for a in ids}
    if ids:
        rows = session.scalars(select(SiteAccess).where(SiteAccess.account_id.in_(ids))
                               .order_by(SiteAccess.created_at, SiteAccess.site_id))
        for row in rows:
            sites[row.account_id].append(row)
    return [{
        "id": a.id, "email": a.email, "display_name": a.display_name, "status": a.status,
        "source": a.source, "directory_id": a.directory_id,
        "invitation_status": statuses[a.id],
        "product_access": [
            {"product_id": p.product_id, "role": p.role,
             "routes": [_route(r) for r in p.routes]} for p in access.get(a.id, [])],
        "groups": [{"id": g.id, "name": g.display_name, "source": g.source}
                   for g in groups[a.id]],
        "sites": [{"site_id": s.site_id, "role": s.role, "removed_at": s.removed_at}
                  for s in sites[a.id]],
        "last_active": a.last_active_at, "created_at": a.created_at,
        "deactivated_at": a.deactivated_at, "deletion_due_at": a.deletion_due_at,
        "erased_at": a.erased_at,
    } for a in accounts]


def _route(route: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": route.type, "role": route.role, "grant_id": route.grant_id}
    if route.type == "group":
        doc.update(group_id=route.group_id, group_name=route.group_name, nested=route.nested)
    return doc


def account_document(session: Session, account: Account) -> dict[str, Any]:
    return account_documents(session, [account])[0]


@endpoint(ORG + "/users", "GET", permission="org:read", tag="users", response=AccountSchema,
          summary="List and search users", query=UsersQuerySchema, paged=True)
def list_users(query: dict[str, Any]) -> Page:
    session = db.session()
    filters = org_accounts.AccountFilters(
        status=query.get("status"), source=query.get("source"), product_id=query.get("product"),
        q=query.get("q"), directory_id=query.get("directory_id"),
        last_active_before=query.get("last_active_before"),
        last_active_since=query.get("last_active_since"),
        invitation_status=query.get("invitation_status"))
    page = paginate(session, org_accounts.accounts_query(auth.org_id(), filters), KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))
    return Page(account_documents(session, page.items), page.next_cursor, page.total)


@endpoint(USER, "GET", permission="org:read", tag="users", response=AccountSchema,
          summary="Read a user: profile, status, invitation status, access with routes")
def get_user(account_id: str) -> dict[str, Any]:
    session = db.session()
    account = org_accounts.get_account(session, auth.org_id(), account_id)
    return account_document(session, account)


def _locked(account_id: str) -> Account:
    """The account, locked, after checking `If-Match` against its representation."""
    session = db.session()
    account = org_accounts.get_account(session, auth.org_id(), account_id, lock=True)
    precondition(account_document(session, account))
    return account


@endpoint(USER, "PATCH", permission="users:write", tag="users", body=UserUpdateSchema,
          response=AccountSchema, summary="Change a user's profile (synced users: 409)")
def update_user(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    account = org_accounts.update_profile(session, _locked(account_id), body, auth.actor())
    return account_document(session, account)


@endpoint(USER + "/deactivate", "POST", permission="users:write", tag="users",
          body=DeactivateSchema, response=AccountSchema,
          summary="Deactivate a user (keeps grants, groups and history; frees seats)")
def deactivate_user(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    _locked(account_id)
    account = lifecycle.deactivate(session, auth.org_id(), account_id, auth.actor(),
                                   body.get("message"))
    return account_document(session, account)


@endpoint(USER + "/reactivate", "POST", permission="users:write", tag="users",
          body=EmptySchema, response=AccountSchema,
          summary="Reactivate a user with everything it had (seat limits enforced)")
def reactivate_user(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    _locked(account_id)
    account = lifecycle.reactivate(session, auth.org_id(), account_id, auth.actor())
    return account_document(session, account)


@endpoint(USER + "/delete", "POST", permission="users:write", tag="users",
          body=EmptySchema, response=AccountSchema,
          summary="Schedule erasure after a 14-day grace period")
def delete_user(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    _locked(account_id)
    account = lifecycle.schedule_deletion(session, auth.org_id(), account_id, auth.actor())
    return account_document(session, account)


@endpoint(USER + "/cancel-delete", "POST", permission="users:write", tag="users",
          body=EmptySchema, response=AccountSchema, summary="Cancel a pending deletion")
def cancel_delete_user(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    _locked(account_id)
    account = lifecycle.cancel_deletion(session, auth.org_id(), account_id, auth.actor())
    return account_document(session, account)


@endpoint(USER + "/sites/<site_id>", "PUT", permission="users:write", tag="users",
          body=SiteAccessPutSchema, response=SiteAccessSchema, statuses=(200, 201),
          summary="Give a user access to a site with a site role (idempotent)")
def put_user_site(account_id: str, site_id: str, body: dict[str, Any]
                  ) -> tuple[SiteAccess, int]:
    row, created = lifecycle.add_to_site(db.session(), auth.org_id(), account_id, site_id,
                                         body["role"], auth.actor())
    return row, 201 if created else 200


@endpoint(USER + "/sites/<site_id>", "DELETE", permission="users:write", tag="users",
          statuses=(204,), summary="Remove a user from one site (idempotent)")
def remove_user_from_site(account_id: str, site_id: str) -> None:
    lifecycle.remove_from_site(db.session(), auth.org_id(), account_id, site_id, auth.actor())
