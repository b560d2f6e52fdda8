"""Access requests: a person asks for a product, an admin approves or denies, once.

Filing refuses, each with its own error: an unverified email, an account removed from
the product's site, a deactivated account when the organization does not let those ask,
an account that already has the product, and a denial no admin has reopened. A second
request while one is pending returns the pending one. Deciding is a conditional UPDATE
(`... WHERE status = 'pending'`), so two admins deciding at once leave one decision.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import AccessRequest, Account, Product, Site, SiteAccess, utcnow
from . import account_lifecycle as lifecycle
from . import audit, outbox
from .actors import Actor
from .deprovisioning import check_not_deprovisioned
from .email_addresses import email_norm
from .errors import Conflict, InvalidInput, NotFound, RefusedByRule, RefusedByState
from .org_accounts import get_account
from .product_access import effective_access, grant_to_account
from .request_notices import notify_admins, org_name
from .request_settings import org_settings

REQUEST_STATUSES = ("pending", "approved", "denied")


def _product(session: Session, org_id: str, product_id: str) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.org_id != org_id:
        raise NotFound(f"no product {product_id} in this organization")
    return product


def find_account(session: Session, org_id: str, *, account_id: str | None = None,
                 email: str | None = None) -> Account:
    """The account named by id or (case-insensitive) email in the organization."""
    stmt = select(Account).where(Account.org_id == org_id)
    if account_id:
        stmt = stmt.where(Account.id == account_id)
    elif email:
        stmt = stmt.where(Account.email_norm == email_norm(email))
    else:
        raise InvalidInput("name the account by `account_id` or `email`")
    account = session.scalars(stmt).first()
    if account is None:
        raise NotFound(f"no user {account_id or email!r} in this organization; invite them, "
                       "or let them sign up on an approved domain")
    return account


def get_request(session: Session, org_id: str, request_id: str) -> AccessRequest:
    found = session.get(AccessRequest, request_id)
    if found is None or found.org_id != org_id:
        raise NotFound(f"no access request {request_id} in this organization")
    return found


def pending_request(session: Session, account_id: str, product_id: str) -> AccessRequest | None:
    return session.scalars(select(AccessRequest).where(
        AccessRequest.account_id == account_id, AccessRequest.product_id == product_id,
        AccessRequest.status == "pending")).first()


def standing_denial(session: Session, account_id: str, product_id: str) -> AccessRequest | None:
    """The latest denial of this product to this account that no admin has reopened."""
    return session.scalars(select(AccessRequest).where(
        AccessRequest.account_id == account_id, AccessRequest.product_id == product_id,
        AccessRequest.status == "denied", AccessRequest.reopened_at.is_(None))
        .order_by(AccessRequest.decided_at.desc())).first()


def check_may_request(session: Session, account: Account, product: Product, *,
                      require_verified: bool = True) -> None:
    """Raise a `Refusal` when a rule forbids this account to ask for this product.

    Only self-signup skips `require_verified`: its request waits for the emailed link.
    An account its identity provider deprovisioned is refused first: nothing the person
    or an admin does here can bring it back, only that provider can.
    """
    who = account.email or account.id
    check_not_deprovisioned(session, account)
    if account.erased_at is not None or account.status == "pending_deletion":
        raise RefusedByState("account-pending-deletion", "Account is being deleted",
                             f"user {who} is scheduled for deletion; an admin must cancel the "
                             "deletion before they can ask for access", account_id=account.id)
    if require_verified and not account.email_verified:
        raise RefusedByRule("email-not-verified", "Email not verified",
                            f"the email of user {who} is not verified; they can ask for access "
                            "once they accept their invitation or their identity provider "
                            "syncs them", account_id=account.id)
    row = session.get(SiteAccess, (account.id, product.site_id))
    if row is not None and row.removed_at is not None:
        site = session.get(Site, product.site_id)
        raise RefusedByRule(
            "removed-from-site", "Removed from the site",
            f"user {who} was removed from the site {site.name if site else product.site_id!r} "
            f"that hosts {product.name!r}, so they cannot ask for its products. Instead, they "
            "should ask an administrator of the organization to add them back to the site; "
            "then they can ask again",
            account_id=account.id, site_id=product.site_id)
    if account.status == "deactivated" and not org_settings(session, account.org_id)[
            "deactivated_may_request"]:
        raise RefusedByRule("deactivated-may-not-request", "Account deactivated",
                            f"user {who} is deactivated and this organization does not let "
                            "deactivated people ask for access; they should contact an "
                            "organization admin, who can reactivate them",
                            account_id=account.id)


def check_may_file(session: Session, account: Account, product: Product, *,
                   require_verified: bool = True) -> AccessRequest | None:
    """Every rule for filing, in order: the pending request when one is already open
    (nothing to file), None when a new one may be filed; a `Refusal` otherwise."""
    check_may_request(session, account, product, require_verified=require_verified)
    existing = pending_request(session, account.id, product.id)
    if existing is not None:
        return existing
    denial = standing_denial(session, account.id, product.id)
    if denial is not None:
        when = denial.decided_at.date().isoformat() if denial.decided_at else "earlier"
        raise RefusedByRule(
            "request-denied", "Request denied",
            f"an administrator denied {account.email or account.id} access to {product.name!r} "
            f"on {when}" + (f" ({denial.decision_message})" if denial.decision_message else "")
            + f"; they cannot ask again until an administrator reopens request {denial.id}",
            admin_message=denial.decision_message, request_id=denial.id)
    if account.status == "active":
        held = {p.product_id: p for p in effective_access(session, [account.id])[account.id]}
        if product.id in held:
            raise RefusedByState("already-has-access", "Already has access",
                                 f"user {account.email or account.id} already has access to "
                                 f"{product.name!r} (role {held[product.id].role}); there is "
                                 "nothing to request", account_id=account.id,
                                 role=held[product.id].role)
    return None


def file_request(session: Session, org_id: str, product_id: str, actor: Actor, *,
                 account_id: str | None = None, email: str | None = None,
                 reason: str | None = None, source: str = "admin",
                 public_url: str | None = None, require_verified: bool = True,
                 notify: bool = True) -> tuple[AccessRequest, bool]:
    """File a request (True) or return the one already pending (False); admins are emailed,
    each with a review link of their own when `public_url` says where the pages are."""
    product = _product(session, org_id, product_id)
    account = find_account(session, org_id, account_id=account_id, email=email)
    existing = check_may_file(session, account, product, require_verified=require_verified)
    if existing is not None:
        return existing, False
    request = AccessRequest(org_id=org_id, account_id=account.id, product_id=product.id,
                            status="pending", reason=reason, source=source,
                            filed_by=_actor_label(actor))
    try:
        with session.begin_nested():  # a concurrent filing may win the one-pending index
            session.add(request)
    except IntegrityError:
        existing = pending_request(session, account.id, product.id)
        if existing is None:
            raise
        return existing, False
    audit.record(session, org_id=org_id, actor=actor, action="access_request.filed",
                 target_type="user", target_id=account.id,
                 changes={"request_id": request.id, "product_id": product.id,
                          "source": source, "reason": reason})
    if notify:
        notify_admins(session, account, product, cause=f"access_request.filed:{request.id}",
                      reason=reason, request=request, public_url=public_url)
    return request, True


def _decide(session: Session, request: AccessRequest, status: str, actor: Actor,
            **values: Any) -> bool:
    """Move a pending request to `status`; False when another decision got there first."""
    result = session.execute(
        update(AccessRequest)
        .where(AccessRequest.id == request.id, AccessRequest.status == "pending")
        .values(status=status, decided_at=utcnow(), decided_by=_actor_label(actor), **values)
        .execution_options(synchronize_session=False))
    session.refresh(request)
    return bool(cast(CursorResult[Any], result).rowcount)


def _already_decided(request: AccessRequest, wanted: str) -> AccessRequest:
    if request.status == wanted:
        return request  # the same decision again: idempotent
    raise Conflict(f"access request {request.id} was already {request.status} by "
                   f"{request.decided_by or 'an administrator'}"
                   + ("; reopen it first to lift the denial" if request.status == "denied"
                      else ""))


def approve(session: Session, org_id: str, request_id: str, actor: Actor,
            role: str | None = None) -> AccessRequest:
    """Grant the product (seat limits enforced), reactivating a deactivated requester.

    Refused for an account its identity provider deprovisioned: reactivating it here
    would put it back outside that provider's control (RFC 7644 §3.6: the provider's
    DELETE or `active=false` is the provider's decision).
    """
    request = get_request(session, org_id, request_id)
    product = _product(session, org_id, request.product_id)
    chosen = role or product.default_role
    if chosen not in (product.roles or []):
        raise InvalidInput(f"role {chosen!r} is not a role of {product.name!r}; choose one of "
                           f"{', '.join(product.roles or [])}")
    if request.status != "pending" or not _decide(session, request, "approved", actor,
                                                  role=chosen):
        return _already_decided(request, "approved")
    account = get_account(session, org_id, request.account_id, lock=True)
    check_not_deprovisioned(session, account)
    if not account.email_verified:
        raise RefusedByState("email-not-verified", "Email not verified",
                             f"{account.email or account.id} has not confirmed their email "
                             "address yet (the sign-up email has the link); approve once they "
                             "have", account_id=account.id)
    reactivated = account.status == "deactivated"
    if reactivated:
        lifecycle.reactivate(session, org_id, account.id, actor)
    held = {p.product_id for p in effective_access(session, [account.id])[account.id]}
    if product.id not in held or role is not None:
        grant_to_account(session, org_id, product.id, account.id, chosen, actor)
    audit.record(session, org_id=org_id, actor=actor, action="access_request.approved",
                 target_type="user", target_id=account.id,
                 changes={"request_id": request.id, "product_id": product.id, "role": chosen,
                          "reactivated": reactivated})
    if account.email:
        site = session.get(Site, product.site_id)
        outbox.enqueue(session, org_id=org_id, to=account.email,
                       template="access_request_approved",
                       context={"org_name": org_name(session, org_id),
                                "product_name": product.name, "role": chosen,
                                "product_url": site.url if site else None},
                       cause=f"access_request.approved:{request.id}")
    return request


def deny(session: Session, org_id: str, request_id: str, actor: Actor,
         message: str) -> AccessRequest:
    """Refuse with a message emailed to the requester; they cannot ask again until reopened."""
    request = get_request(session, org_id, request_id)
    if request.status != "pending" or not _decide(session, request, "denied", actor,
                                                  decision_message=message):
        return _already_decided(request, "denied")
    product = _product(session, org_id, request.product_id)
    account = session.get(Account, request.account_id)
    audit.record(session, org_id=org_id, actor=actor, action="access_request.denied",
                 target_type="user", target_id=request.account_id,
                 changes={"request_id": request.id, "product_id": product.id,
                          "message": message})
    if account is not None and account.email:
        outbox.enqueue(session, org_id=org_id, to=account.email, template="access_request_denied",
                       context={"org_name": org_name(session, org_id),
                                "product_name": product.name, "message": message},
                       cause=f"access_request.denied:{request.id}")
    return request


def reopen(session: Session, org_id: str, request_id: str, actor: Actor) -> AccessRequest:
    """Lift a denial so the person may ask again (idempotent); the denial stays on record."""
    request = get_request(session, org_id, request_id)
    if request.status != "denied":
        raise Conflict(f"access request {request.id} is {request.status}; only a denied "
                       "request can be reopened")
    if request.reopened_at is None:
        request.reopened_at = utcnow()
        request.reopened_by = _actor_label(actor)
        session.flush()
        audit.record(session, org_id=org_id, actor=actor, action="access_request.reopened",
                     target_type="user", target_id=request.account_id,
                     changes={"request_id": request.id, "product_id": request.product_id})
    return request


def requests_query(org_id: str, status: str | None = None,
                   product_id: str | None = None) -> Select:
    """The organization's requests across every site, for paging newest first."""
    stmt = select(AccessRequest).where(AccessRequest.org_id == org_id)
    if status:
        stmt = stmt.where(AccessRequest.status == status)
    if product_id:
        stmt = stmt.where(AccessRequest.product_id == product_id)
    return stmt


def _actor_label(actor: Actor) -> str:
    return f"{actor.type}:{actor.id}" if actor.id else actor.type
