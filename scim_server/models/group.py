"""Groups (synced from a directory or managed by admins) and their memberships."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, UTCDateTime, new_id, utcnow

GROUP_SOURCES = ("synced", "admin")


class Group(Base):
    """A group of the organization; a synced group is also a SCIM Group resource."""

    __tablename__ = "groups"
    __table_args__ = (
        UniqueConstraint("org_id", "directory_id", "display_name_norm"),
        Index("ix_groups_directory_page", "directory_id", "created_at", "id"),
        Index("ix_groups_external_id", "directory_id", "external_id"),
        # Admin-managed groups have no directory: NULLs never clash in the constraint
        # above, so their names need an index of their own (migration h11a).
        Index("uq_groups_admin_name", "org_id", "display_name_norm", unique=True,
              postgresql_where=text("directory_id IS NULL"),
              sqlite_where=text("directory_id IS NULL")),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    directory_id: Mapped[str | None] = mapped_column(
        ForeignKey("directories.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(10), default="synced")
    display_name: Mapped[str] = mapped_column(String(400))
    display_name_norm: Mapped[str] = mapped_column(String(400))
    external_id: Mapped[str | None] = mapped_column(String(400))
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: The condition of a membership that nests a group; partial indexes cover exactly these.
NESTED_EDGE = "member_type = 'Group'"


class GroupMember(Base):
    """One membership row: adding or removing a member touches exactly one row."""

    __tablename__ = "group_members"
    __table_args__ = (
        Index("ix_group_members_member", "member_id", "group_id"),
        # The groups nested in a group, without reading its users: the nesting walk
        # (services/group_nesting.py) goes down by this index, up by the one above.
        Index("ix_group_members_nested_down", "group_id",
              sqlite_where=text(NESTED_EDGE), postgresql_where=text(NESTED_EDGE)),
    )

    group_id: Mapped[str] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_type: Mapped[str] = mapped_column(String(10), default="User")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
