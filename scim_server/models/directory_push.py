"""When a directory last pushed a change successfully, and which change it was."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class DirectoryPush(Base):
    """The last successful push (a SCIM write) of a directory; one row per directory.

    Written by upsert from each process's buffered counts, keeping the later time, so
    any number of workers on any number of hosts agree on the latest push.
    """

    __tablename__ = "directory_pushes"

    directory_id: Mapped[str] = mapped_column(
        ForeignKey("directories.id", ondelete="CASCADE"), primary_key=True)
    last_push_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resource: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(16))
