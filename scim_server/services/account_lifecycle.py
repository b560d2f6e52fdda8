"""Account lifecycle: deactivate, reactivate, delete with a grace period, erase, remove from site.

Deactivation keeps everything (grants, groups, history) and only stops the account from
counting against licences, so reactivation brings it back whole. Deletion waits 14 days,
during which it can be cancelled; erasure then clears personal data and keeps the id as a
tombstone so the audit history still resolves.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import (AccessRequest, Account, AuditEvent, DirectoryUser, GroupMember,
                      Invitation, Organization, ProductActivity, ProductGrant,
                      SiteAccess, utcnow)
from ..models.product import Product
from . import audit, group_versions, outbox
from .actors import Actor
from .errors import Conflict
from .licences import products_reached_by_groups, seat_guard
from .org_accounts import get_account, managed_by_directory
from .sites import get_site

DELETION_GRACE = timedelta(days=14)
ERASED = "[erased]"
PERSONAL_KEYS = frozenset({"email", "emails", "display_name", "displayName", "userName",
                           "user_name", "name", "phoneNumbers", "addresses", "to"})


def _reachable_products(session: Session, account: Account) -> list[str]:
    """Products the account has access to by any route, whatever its status."""
    direct = session.scalars(select(ProductGrant.product_id).where(
        ProductGrant.account_id == account.id)).all()
    groups = select(GroupMember.group_id).where(GroupMember.member_type == "User",
                                                GroupMember.member_id == account.id)
    return sorted(set(direct) | set(session.scalars(products_reached_by_groups(groups)).all()))


def _set_status(session: Session, account: Account, status: str, actor: Actor, action: str,
                **extra: object) -> None:
    changes: dict[str, object] = {"status": [account.status, status], **extra}
    account.status = status
    session.flush()
    audit.record(session, org_id=account.org_id, actor=actor, action=action,
                 target_type="user", target_id=account.id, changes=changes)


def deactivate(session: Session, org_id: str, account_id: str, actor: Actor,
               message: str | None = None) -> Account:
    """Stop an account from using anything; idempotent. `message` is emailed to the person."""
    account = get_account(session, org_id, account_id, lock=True)
    if account.status == "deactivated":
        return account
    if account.status == "pending_deletion":
        raise Conflict(f"user {account_id} is scheduled for deletion; cancel that first")
    account.deactivated_at = utcnow()
    _set_status(session, account, "deactivated", actor, "user.deactivated",
                message_sent=bool(message and account.email))
    if message and account.email:
        _queue_notice(session, account, message)
    return account


def _queue_notice(session: Session, account: Account, message: str) -> None:
    """Tell the person, through the outbox, with the admin's message (one per deactivation)."""
    if not account.email:
        return
    stamp = account.deactivated_at.isoformat() if account.deactivated_at else ""
    org = session.get(Organization, account.org_id)
    outbox.enqueue(session, org_id=account.org_id, to=account.email,
                   template="deactivation_notice",
                   context={"org_name": org.name if org else "", "message": message},
                   cause=f"user.deactivated:{account.id}:{stamp}")


def reactivate(session: Session, org_id: str, account_id: str, actor: Actor) -> Account:
    """Bring a deactivated account back with all it had; refused past a seat limit."""
    account = get_account(session, org_id, account_id, lock=True)
    if account.status == "active":
        return account
    if account.status == "pending_deletion":
        raise Conflict(f"user {account_id} is scheduled for deletion; cancel the deletion")
    if account.erased_at is not None:
        raise Conflict(f"user {account_id} was erased and cannot come back")
    if account.directory_id:
        scim_user = session.get(DirectoryUser, account.id)
        if scim_user is not None and not scim_user.active:
            raise managed_by_directory(session, f"the active flag of user {account_id}",
                                       account.directory_id)
    with seat_guard(session, _reachable_products(session, account)):
        account.deactivated_at = None
        _set_status(session, account, "active", actor, "user.reactivated")
    return account


def schedule_deletion(session: Session, org_id: str, account_id: str, actor: Actor,
                      now: datetime | None = None) -> Account:
    """Mark an account for erasure after the grace period; idempotent."""
    account = get_account(session, org_id, account_id, lock=True)
    if account.status == "pending_deletion" or account.erased_at is not None:
        return account
    if account.directory_id:
        raise managed_by_directory(session, f"user {account_id}", account.directory_id)
    account.deletion_due_at = (now or utcnow()) + DELETION_GRACE
    _set_status(session, account, "pending_deletion", actor, "user.deletion_scheduled",
                deletion_due_at=account.deletion_due_at.isoformat())
    return account


def cancel_deletion(session: Session, org_id: str, account_id: str, actor: Actor) -> Account:
    """Cancel a pending deletion: the account returns to the status it had before."""
    account = get_account(session, org_id, account_id, lock=True)
    if account.status != "pending_deletion":
        return account
    if account.erased_at is not None:
        raise Conflict(f"user {account_id} was already erased")
    back_to = "deactivated" if account.deactivated_at is not None else "active"
    products = _reachable_products(session, account) if back_to == "active" else []
    with seat_guard(session, products):
        account.deletion_due_at = None
        _set_status(session, account, back_to, actor, "user.deletion_cancelled")
    return account


def erase_due_accounts(session: Session, now: datetime | None = None,
                       actor: Actor | None = None) -> list[str]:
    """Erase every account whose grace period is over; `scim-server worker` runs it.

    Rows another transaction holds (a second worker, an admin cancelling) are skipped,
    not waited on: the next run takes them if they are still due.
    """
    now = now or utcnow()
    due = session.scalars(select(Account).where(
        Account.status == "pending_deletion", Account.erased_at.is_(None),
        Account.deletion_due_at <= now).order_by(Account.id)
        .with_for_update(skip_locked=True)).all()
    for account in due:
        erase(session, account, actor or Actor.system(), now)
    return [a.id for a in due]


def erase(session: Session, account: Account, actor: Actor, now: datetime | None = None) -> None:
    """Clear an account's personal data and links; its id stays as a tombstone."""
    group_versions.drop_memberships_of(session, account.id)  # their ETags change
    for model, column in ((ProductGrant, ProductGrant.account_id),
                          (SiteAccess, SiteAccess.account_id),
                          (Invitation, Invitation.account_id),
                          (AccessRequest, AccessRequest.account_id),
                          (ProductActivity, ProductActivity.account_id),
                          (DirectoryUser, DirectoryUser.id)):
        session.execute(delete(model).where(column == account.id))
    for event in session.scalars(select(AuditEvent).where(AuditEvent.target_id == account.id)):
        event.changes = {k: (ERASED if k in PERSONAL_KEYS else v)
                         for k, v in (event.changes or {}).items()}
    account.email = account.email_norm = account.display_name = None
    account.email_verified = False
    account.erased_at = now or utcnow()
    account.deactivated_at = account.deactivated_at or account.erased_at
    _set_status(session, account, "deactivated", actor, "user.erased")


def remove_from_site(session: Session, org_id: str, account_id: str, site_id: str,
                     actor: Actor) -> bool:
    """Take an account off one site (idempotent): its direct grants there go, group routes
    to that site's products stop counting; other sites and the organization are untouched."""
    account = get_account(session, org_id, account_id, lock=True)
    site = get_site(session, org_id, site_id)
    row = session.get(SiteAccess, (account.id, site.id))
    if row is not None and row.removed_at is not None:
        return False
    if row is None:
        row = SiteAccess(account_id=account.id, site_id=site.id, role="basic")
        session.add(row)
    row.removed_at = utcnow()
    site_products = select(Product.id).where(Product.site_id == site.id)
    revoked = session.scalars(select(ProductGrant.product_id).where(
        ProductGrant.account_id == account.id, ProductGrant.product_id.in_(site_products))).all()
    session.execute(delete(ProductGrant).where(ProductGrant.account_id == account.id,
                                               ProductGrant.product_id.in_(site_products)))
    session.flush()
    audit.record(session, org_id=org_id, actor=actor, action="user.removed_from_site",
                 target_type="user", target_id=account.id,
                 changes={"site_id": site.id, "revoked_products": sorted(revoked)})
    return True


def add_to_site(session: Session, org_id: str, account_id: str, site_id: str, role: str,
                actor: Actor) -> tuple[SiteAccess, bool]:
    """Give an account access to a site with a site role (idempotent); True when new."""
    account = get_account(session, org_id, account_id, lock=True)
    site = get_site(session, org_id, site_id)
    row = session.get(SiteAccess, (account.id, site.id))
    created = row is None or row.removed_at is not None
    if row is not None and not created and row.role == role:
        return row, False
    products = session.scalars(select(Product.id).where(Product.site_id == site.id)).all()
    with seat_guard(session, products if created else []):
        if row is None:
            row = SiteAccess(account_id=account.id, site_id=site.id, role=role)
            session.add(row)
        changes = {"site_id": site.id, "role": [row.role if not created else None, role]}
        row.role, row.removed_at = role, None
        session.flush()
    audit.record(session, org_id=org_id, actor=actor,
                 action="user.added_to_site" if created else "user.site_role_changed",
                 target_type="user", target_id=account.id, changes=changes)
    return row, created
