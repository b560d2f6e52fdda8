"""Accounts an identity provider deprovisioned stay under that provider's control.

A directory deprovisions a user with `DELETE /Users/{id}` (RFC 7644 §3.6) or by setting
`active` to false (RFC 7643 §4.1.1). The account keeps the directory's id in
`deprovisioned_by` until the provider brings it back (`active=true`, or provisioning the
same person again). While that directory exists, nothing here may bring the account
back: not an access request, not its approval. Deleting the directory ends its control.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Account, Directory
from .errors import RefusedByState

REASON = "deprovisioned-by-identity-provider"


def deprovisioning_directory(session: Session, account: Account) -> Directory | None:
    """The existing directory whose identity provider deprovisioned this account, if any."""
    if account.deprovisioned_by is None:
        return None
    directory = session.get(Directory, account.deprovisioned_by)
    if directory is None or directory.org_id != account.org_id:
        return None
    return directory


def check_not_deprovisioned(session: Session, account: Account) -> None:
    """Refuse anything that would bring back an account its identity provider removed."""
    directory = deprovisioning_directory(session, account)
    if directory is None:
        return
    raise RefusedByState(
        REASON, "Deprovisioned by the identity provider",
        f"user {account.email or account.id} was deprovisioned by the identity provider of "
        f"the directory {directory.name!r} ({directory.id}); only that identity provider can "
        "bring them back: assign them to the application there, and it syncs them here",
        account_id=account.id, directory_id=directory.id, directory_name=directory.name)


def mark_deprovisioned(account: Account, directory_id: str) -> None:
    """Record that `directory_id`'s identity provider took this account away."""
    account.deprovisioned_by = directory_id


def provisioning_mark(account: Account, *, active: bool) -> str | None:
    """`deprovisioned_by` once the account's directory pushes it `active` or not: an
    active push means the identity provider wants it again, so its earlier removal no
    longer holds; an inactive one is that directory taking it away."""
    if active:
        return None
    return account.directory_id or account.deprovisioned_by
