"""One-time links sent by email: a requester confirming an address, an admin deciding."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, UTCDateTime, new_id, utcnow

LINK_KINDS = ("confirm_email", "review_request")


class EmailedLink(Base):
    """A link's token, kept only as a hash, with what it is bound to and when it ends.

    `confirm_email` binds an address and a product; `review_request` binds an admin
    account and an access request.
    """

    __tablename__ = "emailed_links"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                        index=True)
    email_norm: Mapped[str | None] = mapped_column(String(320))
    product_id: Mapped[str | None] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"))
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str | None] = mapped_column(
        ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
