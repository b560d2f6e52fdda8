"""One counter that moves whenever any SCIM token or admin key stops working early."""
from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CredentialStamp(Base):
    """The revocation stamp: a single row (`id` 1) whose `value` each revocation bumps.

    Workers cache verified credentials and trust an entry only while the stamp they read
    with it is still current, so a revocation anywhere invalidates every cache at once.
    """

    __tablename__ = "credential_stamps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
