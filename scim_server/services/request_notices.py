"""Telling administrators someone asks for a product, with a review link for each.

Atlassian's admins decide requests "in Atlassian Administration or through related
emails" (shared/reference). Each admin's email carries a link of their own: signed (a
256-bit token kept only as a hash), single use, bound to that admin and that request,
valid 7 days (services/emailed_links). Opening it shows the request; only the page's POST
decides, so a mail scanner following the link decides nothing.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AccessRequest, Account, Organization, Product
from . import emailed_links, outbox
from .request_settings import org_settings


def org_name(session: Session, org_id: str) -> str:
    org = session.get(Organization, org_id)
    return org.name if org else org_id


def review_url(public_url: str, request_id: str, token: str) -> str:
    """Where an admin's emailed link opens the request (public/email_actions.py)."""
    return f"{public_url.rstrip('/')}/access-requests/{request_id}?token={token}"


def notify_admins(session: Session, account: Account, product: Product, *, cause: str,
                  reason: str | None, request: AccessRequest | None = None,
                  public_url: str | None = None, approval_required: bool = True) -> int:
    """Email every active organization admin about someone asking for (or signing up to)
    a product, per the `notify_admins_on_requests` setting; how many were emailed.

    With a `request` and the `public_url`, each email links to that request's review page.
    """
    mode = org_settings(session, product.org_id)["notify_admins_on_requests"]
    if mode == "approval_required" and not approval_required:
        return 0
    admins = session.scalars(select(Account).where(
        Account.org_id == product.org_id, Account.is_org_admin.is_(True),
        Account.status == "active", Account.email.is_not(None)).order_by(Account.id)).all()
    context = {"org_name": org_name(session, product.org_id), "product_name": product.name,
               "requester_email": account.email or account.id,
               "requester_name": account.display_name, "reason": reason, "review_url": None}
    for admin in admins:
        token: str | None = None  # the link's secret: only here and in the email it goes to
        link = None
        if request is not None and public_url:
            token, _row = emailed_links.issue(session, "review_request", product.org_id,
                                              account_id=admin.id, request_id=request.id)
            link = review_url(public_url, request.id, token)
        outbox.enqueue(session, org_id=product.org_id, to=str(admin.email),
                       template="access_request_filed", context={**context, "review_url": link},
                       cause=f"{cause}:{admin.id}", secrets=[token] if token else [])
    return len(admins)
