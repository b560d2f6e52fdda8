"""provisioning health: hourly SCIM request counts, recent failures, last push per directory

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _directory_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["directory_id"], ["directories.id"], ondelete="CASCADE",
                                   name=f"fk_{table}_directory_id_directories")


def upgrade() -> None:
    op.create_table(
        "scim_request_counts",
        sa.Column("directory_id", sa.String(length=36), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("directory_id", "hour", "resource", "operation", "outcome",
                                name="pk_scim_request_counts"),
        _directory_fk("scim_request_counts"),
    )
    op.create_index("ix_scim_request_counts_hour", "scim_request_counts", ["hour"])
    op.create_table(
        "scim_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("directory_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=100), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("scim_type", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.String(length=1000), nullable=True),
        sa.Column("subject_id", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.String(length=400), nullable=True),
        sa.Column("subject_norm", sa.String(length=400), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_scim_failures"),
        _directory_fk("scim_failures"),
    )
    op.create_index("ix_scim_failures_directory", "scim_failures", ["directory_id", "id"])
    op.create_index("ix_scim_failures_time", "scim_failures", ["directory_id", "occurred_at"])
    op.create_index("ix_scim_failures_subject", "scim_failures",
                    ["directory_id", "subject_norm"])
    op.create_index("ix_scim_failures_subject_id", "scim_failures",
                    ["directory_id", "subject_id"])
    op.create_table(
        "directory_pushes",
        sa.Column("directory_id", sa.String(length=36), nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("directory_id", name="pk_directory_pushes"),
        _directory_fk("directory_pushes"),
    )


def downgrade() -> None:
    op.drop_table("directory_pushes")
    for name in ("ix_scim_failures_subject_id", "ix_scim_failures_subject",
                 "ix_scim_failures_time", "ix_scim_failures_directory"):
        op.drop_index(name, table_name="scim_failures")
    op.drop_table("scim_failures")
    op.drop_index("ix_scim_request_counts_hour", table_name="scim_request_counts")
    op.drop_table("scim_request_counts")
