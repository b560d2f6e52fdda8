"""Self-signup: a person gives an email and a product; an approved domain lets them in.

On a domain approved for the product without approval, access is granted; with approval,
an access request is filed for an admin. On any other domain sign-up is refused, unless
the organization's `signup_any_domain` setting files a request instead.

Nothing is granted to an address nobody has confirmed: a new (or still unconfirmed)
address becomes a `self_signup` account and gets an invitation whose link confirms it;
the product is decided when the link is accepted (services/signup_decisions.py), so
typing made-up or someone else's addresses takes no seat. Whatever the address's state,
the caller learns nothing about it: the outcome goes by email to the address, and to the
admins' review list, never back to the anonymous caller.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Account, Invitation, Product
from . import audit
from .access_requests import file_request
from .domain_rules import WEBMAIL_DOMAINS, domain_of, rule_for
from .email_addresses import check_email_address, email_norm
from .errors import NotFound, Refusal, RefusedByRule
from .invitation_tokens import InvitationSettings, issue
from .request_settings import org_settings
from .signup_decisions import SIGNUP, SignupOutcome, decide, signup_entry, tell_owner

__all__ = ["SIGNUP", "SignupOutcome", "sign_up"]


def _account(session: Session, org_id: str, email: str) -> tuple[Account, bool]:
    """The account with this email, or a new unverified `self_signup` one (True)."""
    norm = email_norm(email)
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
            settings: InvitationSettings) -> SignupOutcome:
    """Sign `email` up for `product_id` per the organization's domain rules.

    Only the product and the domain may refuse here (`NotFound`, `RefusedByRule` with
    `domain-not-approved`): neither says anything about the address.
    """
    check_email_address(email)
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
    account, _created = _account(session, org_id, email)
    if account.status == "active" and not account.email_verified:
        return _confirm_first(session, account, product, settings,
                              at_once=rule is not None and not rule.approval_required,
                              notify=rule.notify_admins if rule else True)
    outcome = decide(session, account, product, settings.public_url)
    tell_owner(session, outcome)
    return outcome


def _confirm_first(session: Session, account: Account, product: Product,
                   settings: InvitationSettings, *, at_once: bool,
                   notify: bool) -> SignupOutcome:
    """Email a link that confirms the address; the product waits for it.

    A rule that grants without approval rides on the invitation and is decided on
    acceptance; one that needs approval files the request now (an admin cannot approve it
    until the address is confirmed). An earlier pending invitation is replaced by one that
    carries everything it carried, so the newest email always holds a working link.
    """
    request = None
    if at_once:
        entries = [signup_entry(product.id)]
        note = (f"Accept to confirm your email address; you then get access to "
                f"{product.name} if a seat is free.")
    else:
        try:
            request, _new = file_request(session, account.org_id, product.id, SIGNUP,
                                         account_id=account.id, source="signup",
                                         public_url=settings.public_url, require_verified=False,
                                         notify=notify)
        except Refusal as refused:
            outcome = SignupOutcome("refused", account, product, str(refused))
            tell_owner(session, outcome)
            return outcome
        entries = []
        note = (f"You asked for access to {product.name}. Accept to confirm your email "
                "address; an administrator then reviews your request.")
    _reissue(session, account, entries, note, settings)
    return SignupOutcome("confirm_first", account, product,
                         "Confirm your email address with the link we sent.", request)


def _reissue(session: Session, account: Account, entries: list[dict[str, Any]], note: str,
             settings: InvitationSettings) -> Invitation:
    """A fresh invitation with the pending one's products, groups and role, plus `entries`."""
    pending = session.scalars(select(Invitation).where(
        Invitation.account_id == account.id, Invitation.state == "pending")
        .order_by(Invitation.created_at.desc())).first()
    products = list(pending.products or []) if pending else []
    products += [e for e in entries if e not in products]
    return issue(session, account, SIGNUP, settings, send_email=True, products=products,
                 groups=list(pending.groups or []) if pending else [],
                 site_role=pending.site_role if pending else "basic",
                 message=pending.message if pending and pending.message else note)
