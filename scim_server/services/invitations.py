"""Invite people into an organization, with or without products: one result per address.

Each address runs in its own savepoint, so one that fails (a seat limit, a clash) is
undone alone and the others stand. A new address becomes an `invited` account with an
invitation (emailed unless `send_email` is false); an address that already has an
account gets the named grants and groups instead, never a second account.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (Account, Group, GroupMember, Organization, Product, ProductGrant, Site,
                      SiteAccess, utcnow)
from . import account_lifecycle, admin_groups, audit, group_versions, outbox, product_access
from .actors import Actor
from .email_addresses import (check_email_address, control_character_in, email_norm,
                              email_too_long)
from .errors import DomainError, InvalidInput
from .invitation_tokens import InvitationSettings, issue
from .licences import (SeatLimitExceeded, lock_products, products_reached_by_groups,
                       used_seats)
from .org_accounts import managed_by_directory

MAX_ADDRESSES = 1000
SEPARATORS = re.compile(r"[,;\s]+")
EMAIL = re.compile(r"^[^@\s,;<>()\[\]\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
SITE_ROLE_RANK = {"basic": 1, "trusted": 2, "site_admin": 3}
RESULTS = ("invited", "already_member", "invalid_email", "duplicate", "seat_limit",
           "deactivated", "pending_deletion", "conflict")


@dataclass(frozen=True)
class InviteRequest:
    """What an admin asked for; products are `{"product_id", "role"}`."""

    emails: list[str]
    products: list[dict[str, str]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    site_role: str = "basic"
    send_email: bool = True
    message: str | None = None


@dataclass
class InviteResult:
    """What happened to one address."""

    email: str
    result: str
    account_id: str | None = None
    invitation_id: str | None = None
    detail: str | None = None
    product_id: str | None = None


def split_emails(raw: str | list[str]) -> list[str]:
    """Addresses from a list, or from one string split on commas, spaces and new lines."""
    items = [raw] if isinstance(raw, str) else list(raw)
    return [part for item in items for part in SEPARATORS.split(item) if part]


def is_valid_email(address: str) -> bool:
    """An address this server can send to and keep (an over-long one is invalid)."""
    return (email_too_long(address) is None and EMAIL.match(address) is not None
            and control_character_in(address) is None)


def _validated_targets(session: Session, org_id: str, request: InviteRequest
                       ) -> tuple[list[Product], list[Group], list[str]]:
    """The products, groups and sites of the request; any unknown one refuses it all."""
    products: list[Product] = []
    for item in request.products:
        product = session.get(Product, item["product_id"])
        if product is None or product.org_id != org_id:
            raise InvalidInput(f"no product {item['product_id']} in this organization")
        if item["role"] not in (product.roles or []):
            raise InvalidInput(f"role {item['role']!r} is not a role of product "
                               f"{product.key!r}; choose one of {', '.join(product.roles)}")
        products.append(product)
    groups: list[Group] = []
    for group_id in request.groups:
        group = admin_groups.get_group(session, org_id, group_id)
        if group.source != "admin":
            raise managed_by_directory(session, f"membership of group {group.display_name!r}",
                                       group.directory_id)
        groups.append(group)
    if products:
        sites = list(dict.fromkeys(p.site_id for p in products))
    else:
        sites = list(session.scalars(select(Site.id).where(Site.org_id == org_id)
                                     .order_by(Site.created_at, Site.id)))
    return products, groups, sites


@dataclass
class SeatBudget:
    """Seats left in the batch's limited products, counted once instead of per address.

    The products stay locked for the whole transaction (`lock_products`), so nobody else
    takes a seat meanwhile; each new account takes exactly one seat of each product it
    reaches, directly or through the named groups.
    """

    products: dict[str, Product]
    used: dict[str, int]

    @classmethod
    def open(cls, session: Session, product_ids: list[str]) -> "SeatBudget":
        limited = [p for p in lock_products(session, product_ids) if p.seat_limit is not None]
        return cls({p.id: p for p in limited}, {p.id: used_seats(session, p) for p in limited})

    def take(self) -> None:
        """One seat of every limited product, or `SeatLimitExceeded` and nothing taken."""
        for product_id, product in self.products.items():
            if self.used[product_id] + 1 > int(product.seat_limit or 0):
                raise SeatLimitExceeded(product, self.used[product_id], 1)
        for product_id in self.products:
            self.used[product_id] += 1

    def give_back(self) -> None:
        for product_id in self.products:
            self.used[product_id] -= 1

    def recount(self, session: Session) -> None:
        """After a change the budget did not see (an existing account's grants)."""
        self.used = {p.id: used_seats(session, p) for p in self.products.values()}


@dataclass
class _Batch:
    """Everything one call shares across its addresses."""

    session: Session
    org_id: str
    request: InviteRequest
    products: list[Product]
    groups: list[Group]
    sites: list[str]
    actor: Actor
    settings: InvitationSettings
    now: datetime
    budget: SeatBudget


def invite(session: Session, org_id: str, request: InviteRequest, actor: Actor,
           settings: InvitationSettings, now: datetime | None = None) -> list[InviteResult]:
    """Invite every address of the request; the caller commits once for the whole batch."""
    if len(request.emails) > MAX_ADDRESSES:
        raise InvalidInput(f"at most {MAX_ADDRESSES} addresses per call, not "
                           f"{len(request.emails)}")
    for address in request.emails:
        check_email_address(address)
    products, groups, sites = _validated_targets(session, org_id, request)
    reached = {p.id for p in products} | set(session.scalars(products_reached_by_groups(
        select(Group.id).where(Group.id.in_([g.id for g in groups]))))) if groups else {
        p.id for p in products}
    batch = _Batch(session, org_id, request, products, groups, sites, actor, settings,
                   now or utcnow(), SeatBudget.open(session, sorted(reached)))
    norms = {email_norm(e) for e in request.emails if is_valid_email(e)}
    existing = {a.email_norm: a for a in session.scalars(
        select(Account).where(Account.org_id == org_id, Account.email_norm.in_(norms)))
    } if norms else {}
    seen: set[str] = set()
    results: list[InviteResult] = []
    for address in request.emails:
        norm = email_norm(address)
        if not is_valid_email(address):
            results.append(InviteResult(address, "invalid_email",
                                        detail="not an email address"))
        elif norm in seen:
            results.append(InviteResult(address, "duplicate", detail="listed more than once"))
        else:
            seen.add(norm)
            results.append(_invite_one(batch, address, existing.get(norm)))
    return results


def _invite_one(batch: _Batch, address: str, account: Account | None) -> InviteResult:
    if account is not None and account.status == "deactivated":
        return InviteResult(address, "deactivated", account.id,
                            detail="the user is deactivated; reactivate it first")
    if account is not None and account.status != "active":
        return InviteResult(address, "pending_deletion", account.id,
                            detail="the user is scheduled for deletion; cancel that first")
    if account is None:
        try:
            batch.budget.take()
        except SeatLimitExceeded as exc:
            return InviteResult(address, "seat_limit", detail=str(exc),
                                product_id=exc.product_id)
    savepoint = batch.session.begin_nested()
    try:
        if account is None:
            result = _create_invited(batch, address)
        else:
            result = _grant_existing(batch, address, account)
    except (DomainError, IntegrityError) as exc:
        savepoint.rollback()
        if account is None:
            batch.budget.give_back()
        if isinstance(exc, SeatLimitExceeded):
            return InviteResult(address, "seat_limit", account.id if account else None,
                                detail=str(exc), product_id=exc.product_id)
        detail = str(exc) if isinstance(exc, DomainError) else "a concurrent change clashed"
        return InviteResult(address, "conflict", account.id if account else None,
                            detail=detail)
    savepoint.commit()
    if account is not None and batch.budget.products:
        batch.budget.recount(batch.session)
    return result


def _create_invited(batch: _Batch, address: str) -> InviteResult:
    """A new account with its sites, grants and groups; its seats were taken already."""
    session, request, actor = batch.session, batch.request, batch.actor
    account = Account(org_id=batch.org_id, email=address, email_norm=email_norm(address),
                      source="invited", status="active", created_at=batch.now)
    session.add(account)
    session.flush()
    audit.record(session, org_id=batch.org_id, actor=actor, action="user.invited",
                 target_type="user", target_id=account.id,
                 changes={"email": address, "site_role": request.site_role,
                          "products": request.products, "groups": request.groups,
                          "send_email": request.send_email})
    for site_id in batch.sites:
        session.add(SiteAccess(account_id=account.id, site_id=site_id, role=request.site_role))
    for product, item in zip(batch.products, request.products):
        grant = ProductGrant(org_id=batch.org_id, product_id=product.id, account_id=account.id,
                             role=item["role"], origin="invitation")
        session.add(grant)
        audit.record(session, org_id=batch.org_id, actor=actor, action="product_grant.created",
                     target_type="user", target_id=account.id,
                     changes={"product_id": product.id, "role": item["role"]})
    for group in batch.groups:
        session.add(GroupMember(group_id=group.id, member_id=account.id, member_type="User"))
        session.flush()
        group_versions.bump(session, {group.id: 1})
        audit.record(session, org_id=batch.org_id, actor=actor, action="group.member_added",
                     target_type="group", target_id=group.id,
                     changes={"member_id": account.id, "member_type": "User"})
    session.flush()
    invitation = issue(session, account, actor, batch.settings, send_email=request.send_email,
                       products=request.products, groups=request.groups,
                       site_role=request.site_role, message=request.message, now=batch.now)
    return InviteResult(address, "invited", account.id, invitation.id)


def _grant_existing(batch: _Batch, address: str, account: Account) -> InviteResult:
    """The named sites, grants and groups for an account that exists, through the guarded
    services; one `access_granted` email when it gained a product and emails are on."""
    session, request = batch.session, batch.request
    for site_id in batch.sites:
        row = session.get(SiteAccess, (account.id, site_id))
        live = row is None or row.removed_at is None  # no row means access as `basic`
        rank = SITE_ROLE_RANK.get(row.role, 1) if row is not None and live else (
            1 if live else 0)
        if rank < SITE_ROLE_RANK[request.site_role]:
            account_lifecycle.add_to_site(session, account.org_id, account.id, site_id,
                                          request.site_role, batch.actor)
    granted: list[Product] = []
    for product, item in zip(batch.products, request.products):
        _grant, created = product_access.grant_to_account(
            session, account.org_id, product.id, account.id, item["role"], batch.actor)
        if created:
            granted.append(product)
    for group in batch.groups:
        admin_groups.add_member(session, group, account.id, "User", batch.actor)
    if granted and request.send_email and account.email:
        org = session.get(Organization, account.org_id)
        grant_ids = sorted(session.scalars(select(ProductGrant.id).where(
            ProductGrant.account_id == account.id,
            ProductGrant.product_id.in_([p.id for p in granted]))))
        outbox.enqueue(session, org_id=account.org_id, to=account.email,
                       template="access_granted",
                       cause=f"access_granted:{account.id}:{','.join(grant_ids)}",
                       context={"org_name": org.name if org else account.org_id,
                                "product_name": ", ".join(p.name for p in granted),
                                "message": request.message})
    detail = (f"already a member; newly granted {', '.join(p.name for p in granted)}"
              if granted else "already a member; nothing new to grant")
    return InviteResult(address, "already_member", account.id, detail=detail)


def count_results(results: list[InviteResult]) -> dict[str, Any]:
    """How many addresses ended in each result."""
    return dict(Counter(r.result for r in results))
