"""Creating many new users at once: a first sync's POSTs and Bulk requests.

An identity provider's first sync creates users the directory has never seen. Each
creation is then always the same work (a new account, its SCIM resource, its value rows
and an audit event), so a run of them is written with one multi-row INSERT per table
instead of one statement per row per user, under the same rules `provision_user` applies
one at a time (directory_users.py builds every row).

A user can take this path only when nothing could make its creation differ from
`provision_user`: its userName is free in the directory, no account of the organization
has its email (which would be linked instead, or refused), and no earlier user of the same
run repeats either. `fresh_prefix` says how many of a run qualify, from the first; the
caller creates those here and the next one the ordinary way, which links or refuses it.
"""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import bindparam, insert, literal_column, select, union_all
from sqlalchemy.orm import Session

from ..models import Account, AuditEvent, Directory, DirectoryUser, DirectoryUserValue
from . import audit, core_statements
from .actors import Actor
from .directory_users import (UserData, creation_event, new_account, new_user, norm,
                              value_rows)
from .email_addresses import email_norm

#: Names and emails checked per query: within every backend's bound-parameter limit.
LOOKUP_CHUNK = 500


def fresh_prefix(session: Session, directory: Directory, users: Sequence[UserData]) -> int:
    """How many of `users`, from the first, can be created as new accounts right now.

    One query for up to `LOOKUP_CHUNK` users (an `IN` over the directory's userName index
    and one over the organization's email index, as one `UNION ALL`), inside the caller's
    write transaction, so the answer holds until it commits (PostgreSQL's unique indexes
    catch a concurrent twin).
    """
    names = [norm(u.user_name) for u in users]
    emails = [email_norm(u.email) if u.email else None for u in users]
    taken_names, taken_emails = _taken(session, directory, names, emails)
    seen_names: set[str | None] = set()
    seen_emails: set[str] = set()
    for position, (name, email) in enumerate(zip(names, emails)):
        if name in taken_names or name in seen_names:
            return position
        if email is not None and (email in taken_emails or email in seen_emails):
            return position
        seen_names.add(name)
        if email is not None:
            seen_emails.add(email)
    return len(users)


def create_fresh(session: Session, directory: Directory, users: Sequence[UserData],
                 actor: Actor) -> list[DirectoryUser]:
    """Create users `fresh_prefix` cleared: four INSERTs for the whole run.

    Returns the new resources (version 1, in no group), not attached to the session:
    what a response or a BulkResponse needs to describe them.
    """
    accounts = [new_account(directory, data) for data in users]
    created = [new_user(directory, account.id, data) for account, data in zip(accounts, users)]
    events = [audit.event_row(**creation_event(directory, account.id, data, actor,
                                               linked=False))
              for account, data in zip(accounts, users)]
    values = [row for user, data in zip(created, users)
              for row in value_rows(user.id, directory.id, data.values)]
    core_statements.execute(session, _INSERT_ACCOUNTS, _rows(accounts))
    core_statements.execute(session, _INSERT_USERS, _rows(created))
    core_statements.execute(session, _INSERT_EVENTS, events)
    if values:
        core_statements.execute(session, _INSERT_VALUES, values)
    return created


#: Built once, as everything that runs on every creation.
_INSERT_ACCOUNTS = insert(Account.__table__)
_INSERT_USERS = insert(DirectoryUser.__table__)
_INSERT_EVENTS = insert(AuditEvent.__table__)
_INSERT_VALUES = insert(DirectoryUserValue.__table__)

#: Which of these names and emails are taken.
_TAKEN = union_all(
    select(literal_column("'name'").label("kind"), DirectoryUser.user_name_norm.label("value"))
    .where(DirectoryUser.directory_id == bindparam("directory_id"),
           DirectoryUser.user_name_norm.in_(bindparam("names", expanding=True))),
    select(literal_column("'email'").label("kind"), Account.email_norm.label("value"))
    .where(Account.org_id == bindparam("org_id"),
           Account.email_norm.in_(bindparam("emails", expanding=True))))


def _taken(session: Session, directory: Directory, names: list[str | None],
           emails: list[str | None]) -> tuple[set[str], set[str]]:
    wanted_names = sorted({n for n in names if n is not None})
    wanted_emails = sorted({e for e in emails if e is not None})
    taken: dict[str, set[str]] = {"name": set(), "email": set()}
    for start in range(0, max(len(wanted_names), len(wanted_emails)), LOOKUP_CHUNK):
        rows = core_statements.rows(session, _TAKEN, {
            "directory_id": directory.id, "org_id": directory.org_id,
            "names": wanted_names[start:start + LOOKUP_CHUNK],
            "emails": wanted_emails[start:start + LOOKUP_CHUNK]})
        for kind, value in rows:
            taken[kind].add(value)
    return taken["name"], taken["email"]


def _rows(instances: Sequence[Any]) -> list[dict[str, Any]]:
    """The columns each new instance set, the same keys for every row.

    A column one instance left unset takes its declared default (SQLAlchemy fills
    defaults only for columns absent from every row of a multi-row INSERT).
    """
    table = instances[0].__table__
    columns = {column.key: column for column in table.columns}
    keys = sorted({key for instance in instances for key in vars(instance) if key in columns})
    rows = []
    for instance in instances:
        state = vars(instance)
        row = {}
        for key in keys:
            if key in state:
                row[key] = state[key]
            else:
                row[key] = _default(columns[key])
        rows.append(row)
    return rows


def _default(column: Any) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)
    return default.arg
