"""One-time links sent by email: issued, checked without being spent, spent once.

A link's token is a bearer secret (256 random bits) that exists in clear only in the
email; the table keeps its hash (services/secrets). Checking a link never spends it, so a
mail scanner that opens it changes nothing; spending it is one conditional UPDATE
(`... WHERE used_at IS NULL AND expires_at > now`), so two clicks at once spend it once.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ..models import EmailedLink, utcnow
from . import secrets
from .errors import DomainError

PREFIXES = {"confirm_email": "scimsrv_ra_", "review_request": "scimsrv_rv_"}
LIFETIMES = {"confirm_email": timedelta(hours=24), "review_request": timedelta(days=7)}


class LinkUnusable(DomainError):
    """A link that cannot be used; `reason` says why in one stable word."""

    MESSAGES = {
        "invalid": "This link is not valid. Check that you copied all of it from the email.",
        "used": "This link was already used. Each emailed link works once.",
        "expired": "This link has expired.",
        "foreign": "This link belongs to something else than the page it was opened on.",
    }

    def __init__(self, reason: str, link: EmailedLink | None = None):
        self.reason, self.link = reason, link
        super().__init__(self.MESSAGES[reason])


def issue(session: Session, kind: str, org_id: str, *, now: datetime | None = None,
          **binding: Any) -> tuple[str, EmailedLink]:
    """A new link of `kind` bound to `binding` (email_norm, product_id, account_id,
    request_id); the token is returned once, for the email, and never stored."""
    token = secrets.generate(PREFIXES[kind])
    now = now or utcnow()
    link = EmailedLink(kind=kind, org_id=org_id, token_hash=secrets.digest(token),
                       created_at=now, expires_at=now + LIFETIMES[kind], **binding)
    session.add(link)
    session.flush()
    return token, link


def check(session: Session, token: str, kind: str, *, now: datetime | None = None,
          **binding: Any) -> EmailedLink:
    """The link behind `token`, if it is of `kind`, bound to `binding`, unused and current."""
    link = session.scalars(select(EmailedLink).where(
        EmailedLink.token_hash == secrets.digest(token.strip()))).first()
    if link is None or link.kind != kind:
        raise LinkUnusable("invalid")
    if any(getattr(link, name) != value for name, value in binding.items()):
        raise LinkUnusable("foreign", link)
    if link.used_at is not None:
        raise LinkUnusable("used", link)
    if link.expires_at <= (now or utcnow()):
        raise LinkUnusable("expired", link)
    return link


def spend(session: Session, token: str, kind: str, *, now: datetime | None = None,
          **binding: Any) -> EmailedLink:
    """Check the link and mark it used, once, even against a concurrent click."""
    now = now or utcnow()
    link = check(session, token, kind, now=now, **binding)
    result = session.execute(
        update(EmailedLink)
        .where(EmailedLink.id == link.id, EmailedLink.used_at.is_(None),
               EmailedLink.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    if not cast(CursorResult[Any], result).rowcount:
        session.refresh(link)
        raise LinkUnusable("used" if link.used_at is not None else "expired", link)
    session.refresh(link)
    return link
