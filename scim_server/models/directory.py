"""Directories (one identity-provider connection each) and their SCIM bearer tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, UTCDateTime, new_id, utcnow

IDP_PROFILES = ("entra", "okta", "onelogin", "google", "jumpcloud", "generic")


class Directory(Base):
    """An identity-provider connection; the SCIM tenant boundary (RFC 7644 §6)."""

    __tablename__ = "directories"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    idp: Mapped[str] = mapped_column(String(20), default="generic")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScimToken(Base):
    """A bearer token of one directory, kept only as a hash (shown once at creation)."""

    __tablename__ = "scim_tokens"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    directory_id: Mapped[str] = mapped_column(
        ForeignKey("directories.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    hint: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
