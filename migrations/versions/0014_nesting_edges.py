"""group_members: a partial index of the nesting edges, by containing group

The nesting walk (services/group_nesting.py) follows `member_type = 'Group'` rows. Going
down (the groups nested in a group), the primary key `(group_id, member_id)` reads every
member of the group to find the few nested groups: 0.5 s for a 300,000-member group, or a
full scan when SQLite builds an automatic index instead (issue 15). This index holds the
nesting edges only, a few rows whatever the size of the groups. Going up needs none:
`ix_group_members_member` finds a group's memberships by `member_id`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

NESTED_EDGE = sa.text("member_type = 'Group'")


def upgrade() -> None:
    op.create_index("ix_group_members_nested_down", "group_members", ["group_id"],
                    sqlite_where=NESTED_EDGE, postgresql_where=NESTED_EDGE)


def downgrade() -> None:
    op.drop_index("ix_group_members_nested_down", table_name="group_members")
