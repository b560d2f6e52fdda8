"""Deciding an access request from the emailed link, as the admin it was sent to.

The link names one request and one admin (services/request_notices). Opening it only
reads; deciding spends it and calls the same `approve`/`deny` as the admin API, acting
as that admin's account, so the audit trail names them. An admin who is no longer an
active organization admin cannot use a link they were sent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AccessRequest, Account, EmailedLink, Product
from . import access_requests, emailed_links
from .actors import Actor
from .errors import RefusedByRule
from .request_review import request_documents

KIND = "review_request"


@dataclass(frozen=True)
class Review:
    """What the page shows: the request's review document and the product's roles."""

    admin: Account
    request: AccessRequest
    document: dict[str, Any]
    roles: list[str]
    default_role: str
    product_names: dict[str, str]


def _admin(session: Session, link: EmailedLink) -> Account:
    admin = session.get(Account, link.account_id) if link.account_id else None
    if (admin is None or admin.org_id != link.org_id or not admin.is_org_admin
            or admin.status != "active"):
        raise RefusedByRule("no-longer-admin", "No longer an administrator",
                            "this link was sent to an account that is no longer an active "
                            "administrator of the organization, so it cannot decide requests")
    return admin


def open_review(session: Session, token: str, request_id: str) -> Review:
    """The request behind an admin's link, without spending it."""
    link = emailed_links.check(session, token, KIND, request_id=request_id)
    admin = _admin(session, link)
    request = access_requests.get_request(session, link.org_id, request_id)
    product = session.get_one(Product, request.product_id)
    document = request_documents(session, [request])[0]
    held = [grant["product_id"] for grant in document["account"]["product_access"]]
    names = dict(session.execute(select(Product.id, Product.name)
                                 .where(Product.id.in_(held))).all()) if held else {}
    return Review(admin, request, document, list(product.roles or []), product.default_role,
                  names)


def _spend(session: Session, token: str, request_id: str) -> tuple[EmailedLink, Actor]:
    link = emailed_links.spend(session, token, KIND, request_id=request_id)
    return link, Actor("account", _admin(session, link).id)


def approve(session: Session, token: str, request_id: str, role: str | None) -> AccessRequest:
    """Approve as the link's admin; the link is spent only if the approval holds."""
    link, actor = _spend(session, token, request_id)
    return access_requests.approve(session, link.org_id, request_id, actor, role)


def deny(session: Session, token: str, request_id: str, message: str) -> AccessRequest:
    """Deny with the admin's message as the link's admin."""
    link, actor = _spend(session, token, request_id)
    return access_requests.deny(session, link.org_id, request_id, actor, message)
