"""Accounts: the people of an organization, however they arrived."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, UTCDateTime, new_id, utcnow

ACCOUNT_STATUSES = ("active", "deactivated", "pending_deletion")
ACCOUNT_SOURCES = ("synced", "invited", "self_signup")
SITE_ROLES = ("basic", "trusted", "site_admin")


class Account(Base):
    """An org user; a SCIM user *is* one of these, with the same id."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("org_id", "email_norm"),
        Index("ix_accounts_org_status", "org_id", "status"),
        Index("ix_accounts_org_created", "org_id", "created_at", "id"),  # console keyset
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    email_norm: Mapped[str | None] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="active")
    source: Mapped[str] = mapped_column(String(20), default="invited")
    directory_id: Mapped[str | None] = mapped_column(
        ForeignKey("directories.id", ondelete="SET NULL"), index=True
    )
    is_org_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Console role short of org admin: users, invitations and access requests only.
    is_user_access_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    has_accessed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deletion_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The directory whose identity provider deprovisioned the account (services/deprovisioning).
    deprovisioned_by: Mapped[str | None] = mapped_column(String(36))


class SiteAccess(Base):
    """An account's membership of a site, with its site role."""

    __tablename__ = "site_access"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[str] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="basic")
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
