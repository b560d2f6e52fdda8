"""The SCIM User resource a directory manages, and its multi-valued attributes.

The resource's full attribute document is kept as JSON; attributes that identity
providers look up on every sync cycle (userName, externalId, emails[].value, ...) are
also kept in indexed columns so a filter on them is an index lookup (RFC 7644 §3.4.2.2).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ID, Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .account import Account


class DirectoryUser(Base):
    """A SCIM User: its `id` is the id of the account it provisions."""

    __tablename__ = "directory_users"
    __table_args__ = (
        UniqueConstraint("directory_id", "user_name_norm"),
        Index("ix_directory_users_external_id", "directory_id", "external_id"),
        Index("ix_directory_users_page", "directory_id", "created_at", "id"),
        Index("ix_directory_users_display_name", "directory_id", "display_name_norm"),
    )

    id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    directory_id: Mapped[str] = mapped_column(
        ForeignKey("directories.id", ondelete="CASCADE")
    )
    user_name: Mapped[str] = mapped_column(String(400))
    user_name_norm: Mapped[str] = mapped_column(String(400))
    external_id: Mapped[str | None] = mapped_column(String(400))
    display_name: Mapped[str | None] = mapped_column(String(400))
    display_name_norm: Mapped[str | None] = mapped_column(String(400))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: The account this resource provisions (same id). Read with the user when a write
    #: locks it (services/directory_users.get_user), otherwise on first use.
    account: Mapped[Account] = relationship(viewonly=True)


class DirectoryUserValue(Base):
    """One element of a multi-valued attribute (emails, phoneNumbers, ...), for filters.

    Keeping each element as a row lets a complex filter such as
    `emails[type eq "work" and value co "@x.com"]` test both conditions on the *same*
    element (RFC 7644 §3.4.2.2) with one correlated EXISTS.
    """

    __tablename__ = "directory_user_values"
    __table_args__ = (
        Index("ix_directory_user_values_lookup", "directory_id", "attribute", "value_norm"),
        Index("ix_directory_user_values_user", "user_id", "attribute"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("directory_users.id", ondelete="CASCADE")
    )
    directory_id: Mapped[str] = mapped_column(ID)
    attribute: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[str | None] = mapped_column(Text)
    value_norm: Mapped[str | None] = mapped_column(String(400))
    type: Mapped[str | None] = mapped_column(String(64))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    display: Mapped[str | None] = mapped_column(String(400))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
