"""Products on sites, and the grants that give accounts or groups access to them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, UTCDateTime, new_id, utcnow

PRODUCT_ROLES = ("user", "admin")


def _default_roles() -> list[str]:
    return list(PRODUCT_ROLES)


class Product(Base):
    """An app on a site; `seat_limit` None means unlimited."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    seat_limit: Mapped[int | None] = mapped_column(Integer)
    roles: Mapped[list] = mapped_column(JSON, default=_default_roles)
    default_role: Mapped[str] = mapped_column(String(20), default="user")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductGrant(Base):
    """A product role given to exactly one account or one group."""

    __tablename__ = "product_grants"
    __table_args__ = (
        CheckConstraint(
            "(account_id IS NULL) <> (group_id IS NULL)", name="one_grantee"
        ),
        UniqueConstraint("product_id", "account_id"),
        UniqueConstraint("product_id", "group_id"),
        Index("ix_product_grants_account", "account_id"),
        Index("ix_product_grants_group", "group_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    group_id: Mapped[str | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="user")
    origin: Mapped[str] = mapped_column(String(30), default="admin")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductActivity(Base):
    """When an account last used a product, as the product reported it."""

    __tablename__ = "product_activity"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
