"""Group memberships seen from the member side: a user's direct and indirect groups."""
from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any, Sequence

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from ..models import Group
from . import core_statements, group_nesting


def groups_of_members(session: Session, member_ids: Sequence[str], directory_id: str
                      ) -> dict[str, list[tuple[str, str, str]]]:
    """member id → [(group id, group display name, "direct"|"indirect")].

    Nested groups count (RFC 7643 §4.1.2): a member of group B, itself a member of group A,
    is an indirect member of A. The walk (`group_nesting`, the one every rule uses) starts
    from the given members only, so its cost follows their memberships, not the size of
    the directory. Only the directory's own groups count: admin-managed groups are not
    SCIM resources. Direct groups come first, then each level outwards, by name.
    """
    if not member_ids:
        return {}
    rows = core_statements.rows(session, _groups_of_members_statement(),
                           {"member_ids": list(member_ids), "directory_id": directory_id})
    nearest: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for member, group_id, name, depth in rows:
        nearest[member].append((int(depth), name, group_id))
    return {member: [(gid, name, "direct" if depth == 1 else "indirect")
                     for depth, name, gid in sorted(found)]
            for member, found in nearest.items()}


@cache
def _groups_of_members_statement() -> Select[Any]:
    """The query, built once with bound parameters: building the recursive CTE cost more
    CPU than running it, on every GET of a user (issue 15, docs/benchmarks.md)."""
    tree = group_nesting.account_groups(bindparam("member_ids", expanding=True))
    return (select(tree.c.account_id, Group.id, Group.display_name, func.min(tree.c.depth))
            .join(Group, Group.id == tree.c.group_id)
            .where(Group.directory_id == bindparam("directory_id"))
            .group_by(tree.c.account_id, Group.id, Group.display_name))
