"""access requests: who filed them, the role given, reopened denials, one pending per product

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), nullable=False,
                                      server_default="admin"))
        batch_op.add_column(sa.Column("filed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reopened_by", sa.String(length=200), nullable=True))
    op.create_index("uq_access_requests_one_pending", "access_requests",
                    ["account_id", "product_id"], unique=True,
                    postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade() -> None:
    op.drop_index("uq_access_requests_one_pending", table_name="access_requests")
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        for column in ("reopened_by", "reopened_at", "role", "filed_by", "source"):
            batch_op.drop_column(column)
