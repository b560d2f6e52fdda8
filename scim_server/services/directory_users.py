"""Users a directory provisions: each one is an account of the organization.

A SCIM user *is* an account (shared/DESIGN.md): its id is the account id, its email links
it to an existing account unless another directory manages that one, and it never brings
product access or an invitation email with it. The SCIM layer hands over plain data
(`UserData`); this module keeps the account, the resource row and its value rows in step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from .. import casefold
from ..models import Account, Directory, DirectoryUser, DirectoryUserValue, utcnow
from ..models.base import new_id
from . import audit, core_statements, group_versions
from .actors import Actor
from .deprovisioning import mark_deprovisioned, provisioning_mark
from .email_addresses import email_norm
from .errors import Conflict, NotFound, VersionMismatch

#: Multi-valued attributes mirrored into `directory_user_values` so filters can correlate.
VALUE_ATTRIBUTES = ("emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements",
                    "roles", "x509Certificates")
NORM_LENGTH = 400
ACCOUNT_LABEL_LENGTH = 300


@dataclass
class UserData:
    """What a directory asserts about a user, already validated by the caller."""

    user_name: str
    attributes: dict[str, Any]
    external_id: str | None = None
    display_name: str | None = None
    active: bool = True
    #: Hashed by the caller before the write transaction (`passwords.hash_password`):
    #: scrypt is slow on purpose and must never run while a lock is held.
    password_hash: str | None = None
    email: str | None = None
    values: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def norm(value: str | None) -> str | None:
    """The case-insensitive form used for lookups (RFC 7643 §2.2 caseExact=false); an
    account's email is kept by the email rule (`email_addresses.email_norm`), the same
    fold of the trimmed address."""
    return casefold.fold(value)[:NORM_LENGTH] if value is not None else None


#: A write's first read: the user, locked, with its account (which every write of a user
#: changes) in the same statement; only the user's row is locked, as before, so the lock
#: order (user, then account at its UPDATE) is the one every writer follows.
_LOCKED_USER = (select(DirectoryUser)
                .join(DirectoryUser.account)
                .options(contains_eager(DirectoryUser.account))
                .where(DirectoryUser.id == bindparam("user_id"))
                .with_for_update(of=DirectoryUser)
                .execution_options(populate_existing=True))


def get_user(session: Session, directory_id: str, user_id: str, *, lock: bool = False
             ) -> DirectoryUser:
    """The directory's user by id; another directory's id is 'not found', not 'forbidden'.

    `lock` takes the row lock (`SELECT ... FOR UPDATE`) a write needs, so its If-Match
    check (RFC 7644 §3.14) and its write are one step for every other writer; the
    account comes with it (`user.account`), so the write needs no second read.
    """
    if lock:
        user = session.scalars(_LOCKED_USER, {"user_id": user_id}).first()
    else:
        user = session.get(DirectoryUser, user_id)
    if user is None or user.directory_id != directory_id:
        raise NotFound(f"no user {user_id}")
    return user


def create_user(session: Session, directory: Directory, data: UserData, actor: Actor) -> DirectoryUser:
    """Provision a user: link the account with the same email, or create a synced one."""
    return provision_user(session, directory, data, actor)[0]


def provision_user(session: Session, directory: Directory, data: UserData, actor: Actor
                   ) -> tuple[DirectoryUser, bool]:
    """`create_user`, also saying whether an existing account was linked (True) or a new
    one made (False): a new account is in no group yet, which spares the caller a query."""
    _ensure_user_name_free(session, directory.id, data.user_name, except_id=None)
    account = _account_for_email(session, directory, data.email)
    linked = account is not None
    if account is None:
        account = new_account(directory, data)
        session.add(account)
    else:
        account.directory_id = directory.id
        _apply_to_account(account, data)
    user = new_user(directory, account.id, data)
    session.add(user)
    audit.record(session, **creation_event(directory, account.id, data, actor, linked=linked))
    # One flush writes the account, the resource and the audit event (the unit of work
    # orders the INSERTs by their foreign keys); the value rows follow in one executemany.
    session.flush()
    _replace_values(session, user, data.values, fresh=True)
    return user, linked


def new_account(directory: Directory, data: UserData) -> Account:
    """The account a directory's new user brings when no account has its email yet."""
    account = Account(id=new_id(), org_id=directory.org_id, source="synced", status="active",
                      directory_id=directory.id)
    _apply_to_account(account, data)
    return account


def new_user(directory: Directory, account_id: str, data: UserData) -> DirectoryUser:
    """The SCIM resource of a new user (version 1), not yet added to any session."""
    now = utcnow()
    user = DirectoryUser(id=account_id, directory_id=directory.id, version=1,
                         created_at=now, updated_at=now)
    _apply_to_user(user, data)
    return user


def creation_event(directory: Directory, account_id: str, data: UserData, actor: Actor, *,
                   linked: bool) -> dict[str, Any]:
    """The audit event of a user's creation, as keyword arguments of `audit.record`."""
    return {"org_id": directory.org_id, "actor": actor,
            "action": "scim.user.linked" if linked else "scim.user.created",
            "target_type": "account", "target_id": account_id,
            "changes": {"userName": data.user_name, "active": data.active,
                        "directory_id": directory.id}}


def value_rows(user_id: str, directory_id: str, values: dict[str, list[dict[str, Any]]]
               ) -> list[dict[str, Any]]:
    """One row per element of each multi-valued attribute (`directory_user_values`)."""
    rows = []
    for attribute in VALUE_ATTRIBUTES:
        for position, element in enumerate(values.get(attribute, ())):
            value = element.get("value")
            text = value if isinstance(value, str) else (None if value is None else str(value))
            rows.append({
                "user_id": user_id, "directory_id": directory_id, "attribute": attribute,
                "position": position, "value": text, "value_norm": norm(text),
                "type": element.get("type"), "primary": bool(element.get("primary", False)),
                "display": element.get("display"), "data": element,
            })
    return rows


def replace_user(session: Session, directory: Directory, user: DirectoryUser, data: UserData,
                 actor: Actor, *, expected_version: int | None = None) -> DirectoryUser:
    """Replace every writable attribute (RFC 7644 §3.5.1), keeping id and creation time.

    The caller holds the user's row lock (`get_user(lock=True)`), as every write does.
    """
    _check_version(user, expected_version)
    if norm(data.user_name) != user.user_name_norm:  # a sync cycle resends the same name
        _ensure_user_name_free(session, directory.id, data.user_name, except_id=user.id)
    account = user.account
    assert account is not None, "a directory user always has its account"
    if data.email and email_norm(data.email) != account.email_norm:
        other = _account_for_email(session, directory, data.email, exclude_id=account.id)
        if other is not None:
            raise Conflict(f"the email {data.email} already belongs to another account "
                           "of this organization")
    before = {"userName": user.user_name, "active": user.active}
    # Core UPDATEs by primary key, not the unit of work: this runs inside the write lock
    # on every PUT and PATCH of a sync cycle (core_statements.py; docs/benchmarks.md).
    core_statements.update_loaded(session, account, account_changes(account, data))
    unchanged = (user.user_name == data.user_name and user.external_id == data.external_id
                 and user.display_name == data.display_name and user.active == data.active
                 and user.attributes == data.attributes and data.password_hash is None)
    if unchanged:
        return user
    values_changed = any((user.attributes or {}).get(name) != data.attributes.get(name)
                         for name in VALUE_ATTRIBUTES)
    locked_version = user.version
    core_statements.update_loaded(session, user, {**user_changes(data), "updated_at": utcnow()},
                                  increment=("version",))
    # What the UPDATE just computed, known without reading it back: under the row lock
    # (SQLite: the write lock BEGIN IMMEDIATE took) nobody moved it since the locked read.
    set_committed_value(user, "version", locked_version + 1)
    audit.insert(session, org_id=directory.org_id, actor=actor, action="scim.user.updated",
                 target_type="account", target_id=user.id,
                 changes={"before": before, "after": {"userName": data.user_name,
                                                      "active": data.active}})
    if values_changed:
        _replace_values(session, user, data.values)
    return user


def delete_user(session: Session, directory: Directory, user: DirectoryUser, actor: Actor,
                *, expected_version: int | None = None) -> None:
    """Remove the SCIM resource; the account is unlinked and deactivated, never erased."""
    _check_version(user, expected_version)
    account = user.account
    group_versions.drop_memberships_of(session, user.id)  # each group's ETag changes
    session.execute(delete(DirectoryUserValue).where(DirectoryUserValue.user_id == user.id))
    session.delete(user)
    if account is not None:
        account.directory_id = None
        mark_deprovisioned(account, directory.id)
        if account.status == "active":
            account.status = "deactivated"
            account.deactivated_at = utcnow()
    session.flush()
    audit.record(session, org_id=directory.org_id, actor=actor, action="scim.user.deleted",
                 target_type="account", target_id=user.id,
                 changes={"userName": user.user_name, "account": "unlinked and deactivated"})


def find_user_ids_by_user_name(session: Session, directory_id: str,
                               user_names: Iterable[str]) -> dict[str, str]:
    """userName (lower-cased) → id, for the given names, in one query."""
    wanted = {norm(n) for n in user_names if n}
    if not wanted:
        return {}
    rows = session.execute(
        select(DirectoryUser.user_name_norm, DirectoryUser.id).where(
            DirectoryUser.directory_id == directory_id,
            DirectoryUser.user_name_norm.in_(wanted))
    )
    return {name: uid for name, uid in rows}


def _check_version(user: DirectoryUser, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != user.version:
        raise VersionMismatch(
            f"the user changed since version {expected_version}; it is now at {user.version}")


#: Built once: every PUT and PATCH of a user runs it.
_USER_NAME_HOLDER = select(DirectoryUser.id).where(
    DirectoryUser.directory_id == bindparam("directory_id"),
    DirectoryUser.user_name_norm == bindparam("name"))


def _ensure_user_name_free(session: Session, directory_id: str, user_name: str,
                           except_id: str | None) -> None:
    """userName is unique per directory, case-insensitively (RFC 7643 §4.1.1)."""
    existing = session.scalars(_USER_NAME_HOLDER, {"directory_id": directory_id,
                                                   "name": norm(user_name)}).first()
    if existing is not None and existing != except_id:
        raise Conflict(f"userName {user_name!r} is already taken in this directory")


def _account_for_email(session: Session, directory: Directory, email: str | None,
                       exclude_id: str | None = None) -> Account | None:
    """The org's account with this email, if it may be linked to `directory`."""
    if not email:
        return None
    account = session.scalars(
        select(Account).where(Account.org_id == directory.org_id,
                              Account.email_norm == email_norm(email))
    ).first()
    if account is None or account.id == exclude_id:
        return None
    if account.directory_id is not None and account.directory_id != directory.id:
        other = session.get(Directory, account.directory_id)
        name = f"{other.name!r} ({other.id})" if other else account.directory_id
        raise Conflict(f"the email {email} belongs to an account managed by directory {name}")
    if account.directory_id == directory.id and session.get(DirectoryUser, account.id):
        raise Conflict(f"the email {email} already belongs to another user of this directory")
    if account.status == "pending_deletion" or account.erased_at is not None:
        raise Conflict(f"the account with email {email} is being deleted; cancel the deletion "
                       "or wait until it is erased")
    return account


def account_changes(account: Account, data: UserData) -> dict[str, Any]:
    """The account's columns after the directory asserts `data` (its email, its label,
    whether it is active), as attribute → value: `_apply_to_account` sets them on a new or
    linked account, `replace_user` writes them with one UPDATE."""
    changes: dict[str, Any] = {}
    if data.email:
        changes.update(email=data.email, email_norm=email_norm(data.email),
                       email_verified=True)  # asserted by the directory (shared/DESIGN.md)
    # The account's name is a label for people (`accounts.display_name`, 300 characters);
    # the SCIM resource keeps the directory's value whole.
    label = data.display_name or account.display_name or data.user_name
    changes["display_name"] = label[:ACCOUNT_LABEL_LENGTH] if label else label
    changes["deprovisioned_by"] = provisioning_mark(account, active=data.active)
    if data.active and account.status == "deactivated":
        changes.update(status="active", deactivated_at=None)
    elif not data.active and account.status == "active":
        changes.update(status="deactivated", deactivated_at=utcnow())
    return changes


def _apply_to_account(account: Account, data: UserData) -> None:
    for key, value in account_changes(account, data).items():
        setattr(account, key, value)


def user_changes(data: UserData) -> dict[str, Any]:
    """The SCIM resource's columns for `data`, as attribute → value."""
    changes = {"user_name": data.user_name, "user_name_norm": norm(data.user_name) or "",
               "external_id": data.external_id, "display_name": data.display_name,
               "display_name_norm": norm(data.display_name), "active": data.active,
               "attributes": data.attributes}
    if data.password_hash is not None:
        changes["password_hash"] = data.password_hash
    return changes


def _apply_to_user(user: DirectoryUser, data: UserData) -> None:
    for key, value in user_changes(data).items():
        setattr(user, key, value)


def _replace_values(session: Session, user: DirectoryUser,
                    values: dict[str, list[dict[str, Any]]], *, fresh: bool = False) -> None:
    """Rewrite the user's value rows: one per element of each multi-valued attribute."""
    if not fresh:  # a user just created has none to delete
        session.execute(delete(DirectoryUserValue).where(DirectoryUserValue.user_id == user.id))
    rows = value_rows(user.id, user.directory_id, values)
    if rows:
        session.execute(DirectoryUserValue.__table__.insert(), rows)


def count_users(session: Session, directory_id: str) -> int:
    return session.scalar(select(func.count()).select_from(DirectoryUser)
                          .where(DirectoryUser.directory_id == directory_id)) or 0
