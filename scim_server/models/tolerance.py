"""Counters of identity-provider workarounds that fired, per directory."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ToleranceCounter(Base):
    """How often a named tolerance fired for a directory, and when it last did."""

    __tablename__ = "tolerance_counters"

    directory_id: Mapped[str] = mapped_column(
        ForeignKey("directories.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_request_id: Mapped[str | None] = mapped_column(String(100))
