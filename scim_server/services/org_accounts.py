"""Accounts as admins see them: search, detail and the profile fields admins may edit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ..casefold import fold
from ..models import Account, Directory, Group, GroupMember
from . import audit
from .actors import Actor
from .email_addresses import check_email_address, email_norm
from .errors import Conflict, NotFound
from .invitation_status import account_status_clause
from .product_access import accounts_with_product

IDP_OWNED_FIELDS = ("email", "display_name")


class ManagedByDirectory(Conflict):
    """The thing is owned by an identity provider; change it there, not here."""

    def __init__(self, what: str, directory: Directory | None, directory_id: str | None):
        name = f"{directory.name!r} ({directory.id})" if directory else repr(directory_id)
        self.directory_id = directory_id
        super().__init__(f"{what} is managed by the directory {name}; change it in that "
                         "identity provider, which syncs it here")


def managed_by_directory(session: Session, what: str, directory_id: str | None
                         ) -> ManagedByDirectory:
    """The error for a change to something a directory owns, naming that directory."""
    directory = session.get(Directory, directory_id) if directory_id else None
    return ManagedByDirectory(what, directory, directory_id)


@dataclass(frozen=True)
class AccountFilters:
    """What `GET users` may filter on; None means no filter."""

    status: str | None = None
    source: str | None = None
    product_id: str | None = None
    q: str | None = None
    directory_id: str | None = None
    last_active_before: datetime | None = None
    last_active_since: datetime | None = None
    invitation_status: str | None = None


def _like_pattern(text: str) -> str:
    """`%text%`, folded as names and email norms are (one character for one, so a part
    of an address folds to the part of its norm)."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def accounts_query(org_id: str, filters: AccountFilters) -> Select:
    """The organization's accounts matching every given filter, for paging."""
    stmt = select(Account).where(Account.org_id == org_id)
    if filters.status:
        stmt = stmt.where(Account.status == filters.status)
    if filters.source:
        stmt = stmt.where(Account.source == filters.source)
    if filters.directory_id:
        stmt = stmt.where(Account.directory_id == filters.directory_id)
    if filters.product_id:
        stmt = stmt.where(Account.id.in_(accounts_with_product(filters.product_id)))
    if filters.q:
        pattern = _like_pattern(filters.q)
        stmt = stmt.where(or_(
            func.lower(Account.display_name).like(pattern, escape="\\"),
            Account.email_norm.like(pattern, escape="\\"),
        ))
    if filters.last_active_before:
        stmt = stmt.where(or_(Account.last_active_at.is_(None),
                              Account.last_active_at < filters.last_active_before))
    if filters.last_active_since:
        stmt = stmt.where(Account.last_active_at >= filters.last_active_since)
    if filters.invitation_status:
        stmt = stmt.where(account_status_clause(filters.invitation_status))
    return stmt


def get_account(session: Session, org_id: str, account_id: str, *, lock: bool = False) -> Account:
    """One account of the organization; another organization's account does not exist here."""
    stmt = select(Account).where(Account.id == account_id, Account.org_id == org_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    account = session.scalars(stmt).first()
    if account is None:
        raise NotFound(f"no user {account_id} in this organization")
    return account


def direct_groups(session: Session, account_ids: Iterable[str]) -> dict[str, list[Group]]:
    """The groups each account is a direct member of, by name."""
    ids = list(account_ids)
    result: dict[str, list[Group]] = {a: [] for a in ids}
    if not ids:
        return result
    rows = session.execute(
        select(GroupMember.member_id, Group)
        .join(Group, Group.id == GroupMember.group_id)
        .where(GroupMember.member_type == "User", GroupMember.member_id.in_(ids))
        .order_by(Group.display_name, Group.id)
    )
    for account_id, group in rows:
        result[account_id].append(group)
    return result


def update_profile(session: Session, account: Account, changes: dict[str, Any],
                   actor: Actor) -> Account:
    """Change `email` or `display_name`; a directory's accounts refuse both (409)."""
    diff = {k: [getattr(account, k), v] for k, v in changes.items() if getattr(account, k) != v}
    if not diff:
        return account
    if account.erased_at is not None:
        raise Conflict(f"user {account.id} was erased; its profile cannot change")
    if account.source == "synced" or account.directory_id:
        owned = sorted(set(diff) & set(IDP_OWNED_FIELDS))
        if owned:
            raise managed_by_directory(session, f"{', '.join(owned)} of user {account.id}",
                                       account.directory_id)
    if "email" in diff:
        check_email_address(changes["email"])
        norm = email_norm(changes["email"])
        clash = session.scalars(select(Account.id).where(
            Account.org_id == account.org_id, Account.email_norm == norm,
            Account.id != account.id)).first()
        if clash is not None:
            raise Conflict(f"another user ({clash}) already has the email {changes['email']!r}")
        account.email_norm = norm
        account.email_verified = False
    for key, (_old, new) in diff.items():
        setattr(account, key, new)
    session.flush()
    audit.record(session, org_id=account.org_id, actor=actor, action="user.updated",
                 target_type="user", target_id=account.id, changes=diff)
    return account
