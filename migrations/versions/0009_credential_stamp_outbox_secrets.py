"""revocation stamp for credential caches; outbox secrets kept apart from message bodies

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    stamps = op.create_table(
        "credential_stamps",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_stamps")),
    )
    op.bulk_insert(stamps, [{"id": 1, "value": 0}])
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_secrets", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("sealed_secrets")
    op.drop_table("credential_stamps")
