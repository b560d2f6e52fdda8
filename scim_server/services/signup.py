"""Self-signup: a person gives an email and a product; an approved domain lets them in.

On a domain approved for the product without approval, access is granted at once; with
approval, an access request is filed for an admin. On any other domain sign-up is
refused, unless the organization's `signup_any_domain` setting files a request instead.
A new address becomes a `self_signup` account and gets an invitation email: accepting it
verifies the address, and an admin cannot approve a request until it is verified, so
typing someone else's address gains nobody anything.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import AccessRequest, Account, Product
from . import audit
from .access_requests import check_may_request, file_request
from .actors import Actor
from .domain_rules import WEBMAIL_DOMAINS, domain_of, rule_for
from .errors import NotFound, RefusedByRule
from .invitation_tokens import InvitationSettings, issue
from .product_access import grant_to_account
from .request_notices import notify_admins
from .request_settings import org_settings

SIGNUP = Actor("signup")


@dataclass(frozen=True)
class SignupResult:
    """`granted`, `requested` or `already_requested`; `verify_email` when a link was sent."""

    result: str
    account: Account
    product: Product
    request: AccessRequest | None = None
    verify_email: bool = False


def _account(session: Session, org_id: str, email: str) -> tuple[Account, bool]:
    """The account with this email, or a new unverified `self_signup` one (True)."""
    norm = email.strip().lower()
    found = session.scalars(select(Account).where(Account.org_id == org_id,
                                                  Account.email_norm == norm)).first()
    if found is not None:
        return found, False
    account = Account(org_id=org_id, email=email.strip(), email_norm=norm,
                      email_verified=False, source="self_signup", status="active")
    try:
        with session.begin_nested():  # the same address signing up twice at once
            session.add(account)
    except IntegrityError:
        found = session.scalars(select(Account).where(Account.org_id == org_id,
                                                      Account.email_norm == norm)).first()
        if found is None:
            raise
        return found, False
    audit.record(session, org_id=org_id, actor=SIGNUP, action="user.signed_up",
                 target_type="user", target_id=account.id, changes={"email": account.email})
    return account, True


def sign_up(session: Session, email: str, product_id: str,
            settings: InvitationSettings) -> SignupResult:
    """Grant or request `product_id` for `email` per the organization's domain rules."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}")
    org_id = product.org_id
    rule = rule_for(session, org_id, email, product.id)
    domain = domain_of(email)
    if rule is None and (domain in WEBMAIL_DOMAINS
                         or not org_settings(session, org_id)["signup_any_domain"]):
        raise RefusedByRule("domain-not-approved", "Domain not approved",
                            f"sign-up for {product.name!r} is open only to email domains the "
                            f"organization approved, and {domain} is not one; ask an "
                            "administrator to invite you")
    account, created = _account(session, org_id, email)
    at_once = rule is not None and not rule.approval_required and account.status == "active"
    if created:
        issue(session, account, SIGNUP, settings, send_email=True,
              products=[{"product_id": product.id}] if at_once else [],
              message=None if at_once else f"You asked for access to {product.name}. Accept "
              "to confirm your email address; an administrator then reviews your request.")
    if at_once:
        assert rule is not None
        if not created:
            check_may_request(session, account, product)
        grant, new = grant_to_account(session, org_id, product.id, account.id, rule.role, SIGNUP)
        if new:
            grant.origin = "domain_rule"
            if rule.notify_admins:
                notify_admins(session, account, product, cause=f"signup.granted:{grant.id}",
                              reason=f"Signed up with an address on {rule.domain}, approved "
                              "for this product; access was granted.",
                              approval_required=False)
        return SignupResult("granted", account, product, verify_email=created)
    request, new = file_request(session, org_id, product.id, SIGNUP, account_id=account.id,
                                source="signup", public_url=settings.public_url,
                                require_verified=False,
                                notify=rule.notify_admins if rule else True)
    return SignupResult("requested" if new else "already_requested", account, product, request,
                        verify_email=created)
