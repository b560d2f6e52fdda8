"""admin-managed group names unique per organization, enforced by the database

The unique constraint (org_id, directory_id, display_name_norm) never fires for
admin-managed groups: their directory_id is NULL, and NULLs are distinct in a unique
constraint. A partial unique index over the rows WHERE directory_id IS NULL makes two
concurrent creates of one name end in one group and one 409, on SQLite and PostgreSQL.
Duplicates made before this migration keep their rows, renamed "name (id)".

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ADMIN_ROWS = sa.text("directory_id IS NULL")
INDEX = "uq_groups_admin_name"


def upgrade() -> None:
    bind = op.get_bind()
    groups = sa.table("groups", sa.column("id"), sa.column("org_id"), sa.column("directory_id"),
                      sa.column("display_name"), sa.column("display_name_norm"),
                      sa.column("created_at"))
    rows = bind.execute(sa.select(groups.c.id, groups.c.org_id, groups.c.display_name,
                                  groups.c.display_name_norm)
                        .where(groups.c.directory_id.is_(None))
                        .order_by(groups.c.created_at, groups.c.id)).all()
    seen: set[tuple[str, str]] = set()
    for group_id, org_id, name, norm in rows:
        if (org_id, norm) in seen:
            renamed = f"{name} ({group_id})"
            bind.execute(groups.update().where(groups.c.id == group_id)
                         .values(display_name=renamed, display_name_norm=renamed.lower()))
        seen.add((org_id, norm))
    op.create_index(INDEX, "groups", ["org_id", "display_name_norm"], unique=True,
                    postgresql_where=ADMIN_ROWS, sqlite_where=ADMIN_ROWS)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="groups")
