"""console: sign-in links, sessions, the shared signing secret, user-access admins

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_user_access_admin", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index("ix_accounts_org_created", ["org_id", "created_at", "id"])
    op.create_table(
        "console_sign_in_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name=op.f("fk_console_sign_in_links_account_id_accounts")),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_console_sign_in_links_org_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sign_in_links_token_hash")),
    )
    op.create_index(op.f("ix_console_sign_in_links_org_id"), "console_sign_in_links",
                    ["org_id"])
    op.create_index(op.f("ix_console_sign_in_links_account_id"), "console_sign_in_links",
                    ["account_id"])
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name=op.f("fk_console_sessions_account_id_accounts")),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_console_sessions_org_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_console_sessions_secret_hash")),
    )
    op.create_index(op.f("ix_console_sessions_org_id"), "console_sessions", ["org_id"])
    op.create_index(op.f("ix_console_sessions_account_id"), "console_sessions", ["account_id"])
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_index(op.f("ix_console_sessions_account_id"), table_name="console_sessions")
    op.drop_index(op.f("ix_console_sessions_org_id"), table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index(op.f("ix_console_sign_in_links_account_id"),
                  table_name="console_sign_in_links")
    op.drop_index(op.f("ix_console_sign_in_links_org_id"), table_name="console_sign_in_links")
    op.drop_table("console_sign_in_links")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_org_created")
        batch_op.drop_column("is_user_access_admin")
