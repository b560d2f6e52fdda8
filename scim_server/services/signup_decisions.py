"""What a self-signup gets once its address is confirmed: a grant, a request, or a no.

Self-signup takes a seat only for a confirmed address. A new or unconfirmed address gets
an invitation whose link confirms it; the products it asked for ride on that invitation as
`{"product_id", "on_accept": "signup"}` entries and are decided here when it is accepted,
under the domain rule as it stands then and inside the one seat guard (grants go through
`product_access.grant_to_account`). A full product files an access request instead, so an
admin sees the person in the review list. The person hears the outcome by email: the
anonymous caller of `POST /signup` is never told.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..models import AccessRequest, Account, Invitation, Organization, Product, utcnow
from . import outbox
from .access_requests import check_may_request, file_request
from .actors import Actor
from .domain_rules import rule_for
from .errors import DomainError
from .licences import SeatLimitExceeded
from .product_access import effective_access, grant_to_account
from .request_notices import notify_admins

SIGNUP = Actor("signup")
ON_ACCEPT = "signup"


@dataclass(frozen=True)
class SignupOutcome:
    """`granted`, `requested`, `already_requested`, `already_has_access`, `confirm_first`
    or `refused`; `detail` is what the address owner is told."""

    result: str
    account: Account
    product: Product
    detail: str
    request: AccessRequest | None = None


def signup_entry(product_id: str) -> dict[str, Any]:
    """The invitation entry of a product asked for at sign-up, decided on acceptance."""
    return {"product_id": product_id, "on_accept": ON_ACCEPT}


def decide(session: Session, account: Account, product: Product,
           public_url: str | None = None) -> SignupOutcome:
    """Grant (within the seat guard) or file a request for a confirmed address."""
    rule = rule_for(session, account.org_id, account.email or "", product.id)
    name = product.name
    try:
        if rule is None or rule.approval_required or account.status != "active":
            request, new = file_request(session, account.org_id, product.id, SIGNUP,
                                        account_id=account.id, source="signup",
                                        public_url=public_url,
                                        notify=rule.notify_admins if rule else True)
            return SignupOutcome("requested" if new else "already_requested", account, product,
                                 f"Your request for {name} was sent to the administrators; "
                                 "they will decide." if new else f"You already asked for "
                                 f"{name}; the administrators will decide.", request)
        held = {p.product_id for p in effective_access(session, [account.id])[account.id]}
        if product.id in held:
            return SignupOutcome("already_has_access", account, product,
                                 f"You already have access to {name}; nothing changed.")
        check_may_request(session, account, product)
        try:
            grant, new = grant_to_account(session, account.org_id, product.id, account.id,
                                          rule.role, SIGNUP)
        except SeatLimitExceeded:
            request, _new = file_request(
                session, account.org_id, product.id, SIGNUP, account_id=account.id,
                source="signup", public_url=public_url, notify=True,
                reason=f"Signed up with an address on {rule.domain}; no seat was free.")
            return SignupOutcome("requested", account, product,
                                 f"No seat of {name} is free right now, so your request was "
                                 "sent to the administrators.", request)
        if new:
            grant.origin = "domain_rule"
            if rule.notify_admins:
                notify_admins(session, account, product, cause=f"signup.granted:{grant.id}",
                              reason=f"Signed up with an address on {rule.domain}, approved "
                              "for this product; access was granted.",
                              approval_required=False)
        return SignupOutcome("granted", account, product, f"You have access to {name}.")
    except DomainError as refused:
        return SignupOutcome("refused", account, product, str(refused))


def decide_on_acceptance(session: Session, invitation: Invitation, account: Account) -> None:
    """Decide the products a sign-up's invitation carried, now that the address is confirmed."""
    for entry in invitation.products or []:
        if entry.get("on_accept") != ON_ACCEPT:
            continue
        product = session.get(Product, entry.get("product_id"))
        if product is None or product.org_id != account.org_id:
            continue
        tell_owner(session, decide(session, account, product), invitation.id)


def tell_owner(session: Session, outcome: SignupOutcome, occasion: str | None = None) -> None:
    """Email the address owner what their sign-up led to (at most once a day per outcome)."""
    account = outcome.account
    if not account.email:
        return
    org = session.get(Organization, account.org_id)
    occasion = occasion or utcnow().strftime("%Y-%m-%d")
    outbox.enqueue(session, org_id=account.org_id, to=account.email, template="signup_notice",
                   cause=f"signup:{account.id}:{outcome.product.id}:{outcome.result}:{occasion}",
                   context={"org_name": org.name if org else account.org_id,
                            "product_name": outcome.product.name, "detail": outcome.detail})
