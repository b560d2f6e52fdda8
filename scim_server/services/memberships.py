"""Group memberships seen from the member side: a user's direct and indirect groups."""
from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from ..models import Group, GroupMember


def groups_of_members(session: Session, member_ids: Sequence[str], directory_id: str
                      ) -> dict[str, list[tuple[str, str, str]]]:
    """member id → [(group id, group display name, "direct"|"indirect")], one query for all.

    Nested groups count (RFC 7643 §4.1.2): a member of group B, itself a member of group A,
    is an indirect member of A. The recursive walk starts from the given members only, so
    its cost follows their memberships, not the size of the directory. Only the
    directory's own groups count: admin-managed groups are not SCIM resources.
    """
    if not member_ids:
        return {}
    direct = (
        select(GroupMember.member_id.label("member_id"), GroupMember.group_id.label("group_id"),
               literal(0).label("depth"))
        .where(GroupMember.member_id.in_(list(member_ids)))
        .cte("member_groups", recursive=True)
    )
    parent = select(direct.c.member_id, GroupMember.group_id, direct.c.depth + 1).where(
        GroupMember.member_id == direct.c.group_id, GroupMember.member_type == "Group",
        direct.c.depth < 32)
    walk = direct.union(parent)
    rows = session.execute(
        select(walk.c.member_id, walk.c.group_id, walk.c.depth, Group.display_name)
        .join(Group, Group.id == walk.c.group_id)
        .where(Group.directory_id == directory_id)
        .order_by(walk.c.member_id, walk.c.depth, Group.display_name)
    )
    result: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for member_id, group_id, depth, display in rows:
        if (member_id, group_id) in seen:
            continue
        seen.add((member_id, group_id))
        result[member_id].append((group_id, display, "direct" if depth == 0 else "indirect"))
    return dict(result)
