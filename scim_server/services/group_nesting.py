"""Group nesting: the one walk every rule that follows nested groups uses.

A member of group B, itself a member of group A, is an indirect member of A (RFC 7643
§4.1.2 for SCIM `groups`; licences and product access follow the same chains). Every
caller (a user's SCIM `groups`, seat counts, product access, cycle checks, the
`groups` filter) walks through here, so they cannot disagree on who is in a group.

One limit, `MAX_NESTING_DEPTH`: a chain holds at most that many groups (the outermost
group is level 1, the group directly inside it level 2, ...). Writes refuse a membership
that would make a longer chain or a cycle (`nesting_problem`); reads stop at the same
depth, so data written before the limit existed is read the same way by every caller.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, BindParameter, Integer, Select, String, literal_column, select
from sqlalchemy.orm import Session, aliased

from ..models import Group, GroupMember
from ..planner_hints import selective

#: The most groups one chain of nesting may hold (docs/concurrency.md, "Group nesting").
MAX_NESTING_DEPTH = 64


def walk(seed: Select, *, up: bool, name: str | None, nesting: bool = False) -> CTE:
    """A recursive CTE of the seed groups and the groups reached from them.

    `seed` selects a group id first, then any columns to carry along unchanged (an account
    id, a site id). `up` follows "is a member of" (a group to the groups containing it);
    otherwise "contains" (a group to the groups nested in it). The CTE has the seed's
    columns plus `depth` (1 for a seed), and stops at `MAX_NESTING_DEPTH`.
    """
    start = seed.add_columns(literal_column("1", Integer).label("depth")).cte(
        name, recursive=True, nesting=nesting)
    columns = list(start.c)
    here, carried, depth = columns[0], columns[1:-1], columns[-1]
    edge = aliased(GroupMember)
    reached, joined_on = ((edge.group_id, edge.member_id) if up
                          else (edge.member_id, edge.group_id))
    # 'Group' as a literal, so the planner may use the partial indexes of the nesting
    # edges (models/group.py); each step declared selective (planner_hints.py).
    step = select(reached, *carried, depth + 1).where(
        joined_on == here, edge.member_type == _NESTED,
        selective(depth < MAX_NESTING_DEPTH))
    return start.union(step)


_NESTED = literal_column("'Group'", String)


def descendants(group_ids: Select, name: str = "nested_groups") -> Select:
    """Ids of the groups in `group_ids` and every group nested in them."""
    tree = walk(group_ids, up=False, name=name)
    return select(tree.c[0]).distinct()


def ancestors(group_ids: Select, name: str = "containing_groups") -> Select:
    """Ids of the groups in `group_ids` and every group that contains them."""
    tree = walk(group_ids, up=True, name=name)
    return select(tree.c[0]).distinct()


def account_groups(account_ids: list[str] | BindParameter[Any],
                   name: str = "account_groups") -> CTE:
    """(group_id, account_id, depth) for every group each account is in, at any depth.

    Depth 1 is a direct membership. `account_ids` may be an expanding bound parameter, for
    a statement built once and run many times.
    """
    seed = select(GroupMember.group_id.label("group_id"),
                  GroupMember.member_id.label("account_id")).where(
        GroupMember.member_type == "User", GroupMember.member_id.in_(account_ids))
    return walk(seed, up=True, name=name)


def accounts_in(group_ids: Select) -> Select:
    """Ids of the accounts that are members of the groups, directly or through nesting."""
    return select(GroupMember.member_id).where(
        GroupMember.member_type == "User", GroupMember.group_id.in_(descendants(group_ids)))


def _deepest(session: Session, group_id: str, *, up: bool) -> tuple[int, set[str]]:
    tree = walk(select(Group.id.label("group_id")).where(Group.id == group_id), up=up,
                name="chain_up" if up else "chain_down")
    rows: list[Any] = session.execute(select(tree.c[0], tree.c.depth)).all()
    return max((d for _g, d in rows), default=1), {g for g, _d in rows}


def nesting_problem(session: Session, parent_id: str, child_id: str) -> str | None:
    """Why `child_id` may not become a member of `parent_id`, or None when it may.

    Refuses a cycle (the child already contains the parent, or is the parent) and a
    chain longer than `MAX_NESTING_DEPTH` groups.
    """
    if parent_id == child_id:
        return "a group cannot be a member of itself (a membership cycle)"
    above, containing = _deepest(session, parent_id, up=True)
    below, nested = _deepest(session, child_id, up=False)
    if child_id in containing or parent_id in nested:
        return (f"group {child_id} already contains group {parent_id}; nesting it would "
                "make a membership cycle")
    if above + below > MAX_NESTING_DEPTH:
        return (f"nesting group {child_id} in group {parent_id} would make a chain of "
                f"{above + below} nested groups; at most {MAX_NESTING_DEPTH} are allowed")
    return None
