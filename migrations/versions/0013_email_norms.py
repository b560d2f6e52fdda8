"""email norms folded by the one rule every side now uses (`email_addresses.email_norm`)

Before this revision the admin API, the console, the public pages, invitations and the
command line kept `str.lower()` of an address (some trimmed it first) while SCIM kept
`casefold.fold` of it. The two differ on "İ" (two characters under `str.lower()`) and a
word-final "Σ" ("ς" against "σ"), so one address could be stored under two norms: a
lookup missed the account, or a second account was made for the same person. This
revision rewrites `accounts.email_norm`, `emailed_links.email_norm` and
`scim_failures.subject_norm` by the one rule, reading each table in batches by id.

Accounts are unique per organization by their norm. Where the new norms would give two
accounts of one organization the same value (the bug's duplicates), the account that
already holds that value keeps it (an account that is found today is still found), and
otherwise the oldest takes it; the other account is left exactly as it was and reported,
as a warning in the log and as an audit event `user.duplicate_email` in its
organization, so an admin can merge the two (docs/operations.md, "Upgrading to 0013").
The migration never fails on such a pair and changes nothing else about either account.

A confirmation link keeps only a norm; its address is read back from the email that
carried it. Without that email, only "i" + U+0307 (what `str.lower()` makes of "İ") is
refolded to "i"; a final "ς" stays, as it may have been typed so. Links live 24 hours.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BATCH = 1000
ACTION = "user.duplicate_email"
LOG = logging.getLogger("scim_server.migrations")

accounts = sa.table("accounts", sa.column("id"), sa.column("org_id"), sa.column("email"),
                    sa.column("email_norm"), sa.column("directory_id"),
                    sa.column("created_at", sa.DateTime()))
links = sa.table("emailed_links", sa.column("id"), sa.column("email_norm"))
outbox = sa.table("outbox_messages", sa.column("message_id"), sa.column("to"))
failures = sa.table("scim_failures", sa.column("id"), sa.column("subject"),
                    sa.column("subject_norm"))
audit_events = sa.table(
    "audit_events", sa.column("org_id"), sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("actor_type"), sa.column("actor_id"), sa.column("action"),
    sa.column("target_type"), sa.column("target_id"), sa.column("changes", sa.JSON))


def _fold(text: str) -> str:
    """`scim_server.casefold.fold` as of this revision (a migration does not import the app)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c.lower()[0] for c in text)


def _email_norm(address: str) -> str:
    """`services.email_addresses.email_norm` as of this revision."""
    return _fold(address.strip())


def _link_cause_id(link_id: str) -> str:
    """The outbox Message-ID of a link's confirmation email (`outbox.message_id_for`)."""
    cause = f"request_access.confirm:{link_id}"
    return f"<{hashlib.sha256(cause.encode('utf-8')).hexdigest()[:32]}@scim-server>"


def _batches(bind: Connection, table: Any, *columns: Any) -> Iterator[list[Row[Any]]]:
    """The table's rows in batches, by id (keyset: each batch is one indexed range)."""
    size = int(context.config.attributes.get("batch_size", BATCH))
    after: Any = None
    while True:
        stmt = sa.select(table.c.id, *columns).order_by(table.c.id).limit(size)
        if after is not None:
            stmt = stmt.where(table.c.id > after)
        rows = bind.execute(stmt).all()
        if rows:
            yield rows
        if len(rows) < size:
            return
        after = rows[-1].id


def _update_many(bind: Connection, table: Any, column: str,
                 changes: list[dict[str, Any]]) -> None:
    if changes:
        bind.execute(sa.update(table).where(table.c.id == sa.bindparam("row_id"))
                     .values({column: sa.bindparam("new_norm")}), changes)


# ---- accounts --------------------------------------------------------------------------

def _holder(bind: Connection, row: Row[Any], norm: str) -> str | None:
    return bind.execute(sa.select(accounts.c.id).where(
        accounts.c.org_id == row.org_id, accounts.c.email_norm == norm,
        accounts.c.id != row.id).limit(1)).scalar()


def _move(bind: Connection, row: Row[Any], norm: str) -> bool:
    """Give the account `norm` unless another account of its organization holds it."""
    if _holder(bind, row, norm) is not None:
        return False
    try:
        with bind.begin_nested():  # an instance still serving may take it meanwhile
            bind.execute(sa.update(accounts).where(accounts.c.id == row.id)
                         .values(email_norm=norm))
    except IntegrityError:
        return False
    return True


def _report(bind: Connection, row: Row[Any], norm: str) -> None:
    same_as = _holder(bind, row, norm)
    LOG.warning("0013: account %s (%r) of organization %s has the address of account %s "
                "under the one email rule; it keeps its old norm %r, not %r. Merge the two "
                "(docs/operations.md, \"Upgrading to 0013\").", row.id, row.email,
                row.org_id, same_as, row.email_norm, norm)
    now = datetime.now(timezone.utc)
    bind.execute(sa.insert(audit_events).values(
        org_id=row.org_id, occurred_at=now.replace(tzinfo=None)
        if bind.dialect.name == "sqlite" else now, actor_type="system",
        actor_id=f"migration {revision}", action=ACTION, target_type="user",
        target_id=row.id, changes={"email": row.email, "email_norm": row.email_norm,
                                   "folded": norm, "same_as": same_as}))


def _refold_accounts(bind: Connection, rule: Callable[[Row[Any]], str]) -> int:
    """Rewrite each account's norm by `rule`; returns how many were left and reported."""
    moves = []
    for batch in _batches(bind, accounts, accounts.c.org_id, accounts.c.email,
                          accounts.c.email_norm, accounts.c.directory_id,
                          accounts.c.created_at):
        for row in batch:
            norm = rule(row) if row.email is not None else row.email_norm
            if norm != row.email_norm:
                moves.append((row, norm))
    moves.sort(key=lambda move: (move[0].created_at, move[0].id))  # the oldest first
    pending = moves
    while pending:  # a norm another move frees is taken on the next pass
        left = [(row, norm) for row, norm in pending if not _move(bind, row, norm)]
        if len(left) == len(pending):
            break
        pending = left
    for row, norm in pending:
        _report(bind, row, norm)
    if pending:
        LOG.warning("0013: %d account(s) share an address with another account of their "
                    "organization; see the audit events %s.", len(pending), ACTION)
    return len(pending)


# ---- confirmation links and recorded SCIM failures -------------------------------------

def _refold_links(bind: Connection, from_address: Callable[[str], str],
                  from_norm: Callable[[str], str]) -> None:
    for batch in _batches(bind, links, links.c.email_norm):
        sent = dict(bind.execute(sa.select(outbox.c.message_id, outbox.c.to).where(
            outbox.c.message_id.in_([_link_cause_id(row.id) for row in batch]))).all())
        changes = []
        for row in batch:
            if row.email_norm is None:
                continue
            address = sent.get(_link_cause_id(row.id))
            norm = from_address(address) if address else from_norm(row.email_norm)
            if norm != row.email_norm:
                changes.append({"row_id": row.id, "new_norm": norm})
        _update_many(bind, links, "email_norm", changes)


def _refold_failures(bind: Connection, rule: Callable[[str], str]) -> None:
    for batch in _batches(bind, failures, failures.c.subject, failures.c.subject_norm):
        _update_many(bind, failures, "subject_norm", [
            {"row_id": row.id, "new_norm": rule(row.subject)} for row in batch
            if row.subject is not None and rule(row.subject) != row.subject_norm])


def upgrade() -> None:
    bind = op.get_bind()
    _refold_accounts(bind, lambda row: _email_norm(row.email))
    _refold_links(bind, _email_norm, lambda norm: norm.replace("i\u0307", "i"))
    _refold_failures(bind, _fold)


def downgrade() -> None:
    """Back to what the previous version looks up: `str.lower()` on the admin side (accounts
    no directory manages), `casefold.fold` for a directory's accounts."""
    bind = op.get_bind()
    _refold_accounts(bind, lambda row: _fold(row.email) if row.directory_id
                     else row.email.lower())
    _refold_links(bind, lambda address: address.strip().lower(), lambda norm: norm)
    _refold_failures(bind, str.lower)
