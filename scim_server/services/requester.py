"""A person asks for a product from the public pages: confirm the address, then ask.

The first step answers the same whatever the address ("check your email"), so the page
tells nobody which addresses have accounts; only someone who opens the emailed link
learns where their own account stands. Opening the link changes nothing (mail scanners
open links); asking spends it, confirms the address and files the request through the
same rules as every other caller (`access_requests.check_may_file`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AccessRequest, Account, EmailedLink, Product
from . import access_requests, emailed_links, outbox
from .actors import Actor
from .email_addresses import email_norm
from .errors import NotFound, RefusedByRule
from .request_notices import org_name

KIND = "confirm_email"


@dataclass(frozen=True)
class Standing:
    """Where a confirmed address stands for a product: `may_ask` or `pending`."""

    state: str
    email: str
    account: Account
    product: Product
    org_name: str
    request: AccessRequest | None = None


def get_product(session: Session, product_id: str) -> Product:
    usable = product_id and len(product_id) <= 64 and product_id.isprintable()
    product = session.get(Product, product_id) if usable else None
    if product is None:
        raise NotFound(f"no product {product_id!r}")
    return product


def confirm_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/request-access/confirm?token={token}"


def send_confirmation(session: Session, product_id: str, email: str, public_url: str) -> None:
    """Email `email` a link to confirm it and ask for the product; same for any address."""
    product = get_product(session, product_id)
    norm = email_norm(email)
    token, link = emailed_links.issue(session, KIND, product.org_id, email_norm=norm,
                                      product_id=product.id)
    hours = int(emailed_links.LIFETIMES[KIND].total_seconds() // 3600)
    outbox.enqueue(session, org_id=product.org_id, to=email.strip(),
                   template="request_access_confirm",
                   context={"org_name": org_name(session, product.org_id),
                            "product_name": product.name, "hours": hours,
                            "confirm_url": confirm_url(public_url, token)},
                   cause=f"request_access.confirm:{link.id}", secrets=[token])


def _account(session: Session, link: EmailedLink, product: Product) -> Account:
    account = session.scalars(select(Account).where(
        Account.org_id == link.org_id, Account.email_norm == link.email_norm)).first()
    if account is None or account.erased_at is not None:
        raise RefusedByRule(
            "no-account", "No account for this address",
            f"there is no account for {link.email_norm} in "
            f"{org_name(session, link.org_id)}, so there is nothing to restore; an "
            f"administrator can invite this address to {product.name}")
    return account


def standing(session: Session, token: str) -> Standing:
    """What the confirmed address may do for the link's product; a `Refusal` when nothing."""
    link = emailed_links.check(session, token, KIND)
    product = get_product(session, str(link.product_id))
    account = _account(session, link, product)
    pending = access_requests.check_may_file(session, account, product, require_verified=False)
    return Standing("pending" if pending else "may_ask", str(link.email_norm), account, product,
                    org_name(session, product.org_id), pending)


def ask(session: Session, token: str, reason: str | None, public_url: str) -> Standing:
    """Spend the link, confirm the address and file the request (admins are emailed)."""
    link = emailed_links.spend(session, token, KIND)
    product = get_product(session, str(link.product_id))
    account = _account(session, link, product)
    account.email_verified = True  # the person opened a link only that mailbox received
    request, created = access_requests.file_request(
        session, product.org_id, product.id, Actor("account", account.id),
        account_id=account.id, reason=reason, source="requester", public_url=public_url)
    return Standing("asked" if created else "pending", str(link.email_norm), account, product,
                    org_name(session, product.org_id), request)
