"""Hourly counts of SCIM requests per directory, for the provisioning health view."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class ScimRequestCount(Base):
    """How many requests of one kind a directory sent in one hour, by outcome.

    `outcome` is `success` or the HTTP status we answered (`"400"`, `"409"`...), the same
    words the `/metrics` counters use. Rows older than the retention window (30 days) are
    pruned by the process that flushes counts (services/health_recording.py).
    """

    __tablename__ = "scim_request_counts"
    __table_args__ = (Index("ix_scim_request_counts_hour", "hour"),)

    directory_id: Mapped[str] = mapped_column(
        ForeignKey("directories.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    operation: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
