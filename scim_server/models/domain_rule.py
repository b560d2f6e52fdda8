"""Approved email domains: who may sign up for which product, and how."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, UTCDateTime, new_id, utcnow


class DomainRule(Base):
    """An approved domain giving a product role, directly or after approval."""

    __tablename__ = "domain_rules"
    __table_args__ = (UniqueConstraint("org_id", "domain", "product_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(253))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="user")
    approval_required: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_admins: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
