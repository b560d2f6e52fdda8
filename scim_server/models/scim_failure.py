"""The most recent SCIM requests a directory sent that we refused, for admins to read."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ScimFailure(Base):
    """One refused SCIM request: what was asked, what we answered, never what was sent.

    No body, header or query string is kept: only the method, the path shape
    (`/Users/{id}`), the resource id from the path, the status, `scimType` and `detail` we
    answered, the request id, and the userName or group displayName involved (`subject`).
    The last 1,000 per directory are kept (pruned by the count writer, health_buffer).
    """

    __tablename__ = "scim_failures"
    __table_args__ = (
        Index("ix_scim_failures_directory", "directory_id", "id"),
        Index("ix_scim_failures_time", "directory_id", "occurred_at"),
        Index("ix_scim_failures_subject", "directory_id", "subject_norm"),
        Index("ix_scim_failures_subject_id", "directory_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    directory_id: Mapped[str] = mapped_column(
        ForeignKey("directories.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_id: Mapped[str | None] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer)
    scim_type: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(1000))
    subject_id: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(400))
    subject_norm: Mapped[str | None] = mapped_column(String(400))
