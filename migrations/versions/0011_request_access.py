"""request access: emailed one-time links, and accounts an identity provider deprovisioned

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emailed_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("email_norm", sa.String(length=320), nullable=True),
        sa.Column("product_id", sa.String(length=36), nullable=True),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"],
                                name=op.f("fk_emailed_links_org_id_organizations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_emailed_links_product_id_products"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_emailed_links_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["access_requests.id"],
                                name=op.f("fk_emailed_links_request_id_access_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emailed_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_emailed_links_token_hash")),
    )
    for column in ("org_id", "account_id", "request_id"):
        op.create_index(op.f(f"ix_emailed_links_{column}"), "emailed_links", [column])
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deprovisioned_by", sa.String(length=36), nullable=True))
    # Users their directory already set inactive are deprovisioned by it. (Users a directory
    # deleted before this revision left no mark on the account: the audit log keeps them.)
    op.execute(sa.text(
        "UPDATE accounts SET deprovisioned_by = directory_id "
        "WHERE directory_id IS NOT NULL AND EXISTS (SELECT 1 FROM directory_users d "
        "WHERE d.id = accounts.id AND d.active = :inactive)").bindparams(inactive=False))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("deprovisioned_by")
    for column in ("request_id", "account_id", "org_id"):
        op.drop_index(op.f(f"ix_emailed_links_{column}"), table_name="emailed_links")
    op.drop_table("emailed_links")
