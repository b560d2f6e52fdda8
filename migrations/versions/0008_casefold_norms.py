"""case-insensitive *_norm columns folded by the one rule shared with PostgreSQL's lower()

Norms were `str.lower()`; they are now `scim_server.casefold.fold` (Unicode simple
lowercase, as PostgreSQL's lower() does). The two differ only on "İ" (U+0130) and a
word-final "Σ", so only rows holding one of those are rewritten.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NORM_LENGTH = 400
#: (table, raw column, norm column)
NORMS = [("directory_users", "user_name", "user_name_norm"),
         ("directory_users", "display_name", "display_name_norm"),
         ("directory_user_values", "value", "value_norm"),
         ("groups", "display_name", "display_name_norm")]


def _simple_fold(text: str) -> str:
    """`scim_server.casefold.fold` as of this revision (a migration does not import the app)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c.lower()[0] for c in text)


def _refold(fold: Callable[[str], str]) -> None:
    bind = op.get_bind()
    for table_name, raw, norm in NORMS:
        table = sa.table(table_name, sa.column("id"), sa.column(raw), sa.column(norm))
        touched = sa.or_(table.c[raw].like("%İ%"), table.c[raw].like("%Σ%"))
        rows = bind.execute(sa.select(table.c.id, table.c[raw]).where(touched)).all()
        for row_id, value in rows:
            if value is None:
                continue
            folded = fold(value)[:NORM_LENGTH]
            # userName and group names are unique by their norm: where the new form is
            # taken ("İlker" beside "ilker"), the row keeps its old norm rather than fail.
            taken = bind.execute(sa.select(table.c.id).where(
                table.c[norm] == folded, table.c.id != row_id).limit(1)).first()
            if taken is None or table_name == "directory_user_values":
                bind.execute(sa.update(table).where(table.c.id == row_id)
                             .values({norm: folded}))


def upgrade() -> None:
    _refold(_simple_fold)


def downgrade() -> None:
    _refold(str.lower)
