"""Group memberships seen from the member side: a user's direct and indirect groups."""
from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Group, GroupMember

MAX_DEPTH = 32


def groups_of_members(session: Session, member_ids: Sequence[str], directory_id: str
                      ) -> dict[str, list[tuple[str, str, str]]]:
    """member id → [(group id, group display name, "direct"|"indirect")].

    Nested groups count (RFC 7643 §4.1.2): a member of group B, itself a member of group A,
    is an indirect member of A. The walk goes up one level per query, starting from the
    given members only, so its cost follows their memberships (usually one or two
    queries), not the size of the directory. Only the directory's own groups count:
    admin-managed groups are not SCIM resources.
    """
    if not member_ids:
        return {}
    direct = session.execute(
        select(GroupMember.member_id, GroupMember.group_id)
        .join(Group, Group.id == GroupMember.group_id)
        .where(GroupMember.member_id.in_(list(member_ids)), Group.directory_id == directory_id)
    ).all()
    if not direct:
        return {}
    parents_of: dict[str, set[str]] = defaultdict(set)
    frontier = {group_id for _member, group_id in direct}
    known = set(frontier)
    for _level in range(MAX_DEPTH):
        rows = session.execute(select(GroupMember.member_id, GroupMember.group_id).where(
            GroupMember.member_id.in_(list(frontier)), GroupMember.member_type == "Group")).all()
        frontier = set()
        for child, parent in rows:
            parents_of[child].add(parent)
            if parent not in known:
                known.add(parent)
                frontier.add(parent)
        if not frontier:
            break
    names = dict(session.execute(select(Group.id, Group.display_name).where(
        Group.id.in_(list(known)), Group.directory_id == directory_id)).all())
    direct_of: dict[str, list[str]] = defaultdict(list)
    for member, group_id in direct:
        direct_of[member].append(group_id)
    result: dict[str, list[tuple[str, str, str]]] = {}
    for member, groups in direct_of.items():
        entries = [(gid, names[gid], "direct") for gid in sorted(groups, key=names.__getitem__)]
        seen = set(groups)
        level = set(groups)
        while level:
            above = {p for g in level for p in parents_of.get(g, ()) if p not in seen}
            seen |= above
            entries += [(gid, names[gid], "indirect") for gid in
                        sorted((g for g in above if g in names), key=names.__getitem__)]
            level = above
        result[member] = entries
    return result
