"""A group's version and stored member count move in SQL, whatever changed its members.

The version is the group's SCIM ETag (RFC 7644 §3.14) and the admin API shows
`member_count`: both must follow every change of members, by any route (SCIM PATCH or
PUT, the admin API, a user's SCIM DELETE, the erasure of an account, an invitation).
`x = x + n` in one UPDATE is right with any number of writers in any number of
processes; reading the row and writing `n + 1` back from Python loses updates.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Group, GroupMember, utcnow

COUNTERS = ("version", "member_count", "updated_at")


def lock_groups(session: Session, group_ids: Iterable[str]) -> None:
    """Lock the group rows in id order, so two writers touching several never deadlock."""
    ids = sorted(set(group_ids))
    if ids:
        session.execute(select(Group.id).where(Group.id.in_(ids)).order_by(Group.id)
                        .with_for_update())


def bump(session: Session, member_deltas: Mapping[str, int]) -> None:
    """Add one to each group's version and its delta to its member count, in SQL."""
    if not member_deltas:
        return
    lock_groups(session, member_deltas)
    by_delta: dict[int, list[str]] = defaultdict(list)
    for group_id, delta in member_deltas.items():
        by_delta[delta].append(group_id)
    now = utcnow()
    for delta, ids in by_delta.items():
        session.execute(
            update(Group).where(Group.id.in_(ids))
            .values(version=Group.version + 1, member_count=Group.member_count + delta,
                    updated_at=now)
            .execution_options(synchronize_session=False))
    _expire(session, member_deltas.keys())


def set_member_count(session: Session, group_id: str, count: int) -> None:
    """After replacing every member: the count is what was inserted; the version moves."""
    session.execute(update(Group).where(Group.id == group_id)
                    .values(version=Group.version + 1, member_count=count, updated_at=utcnow())
                    .execution_options(synchronize_session=False))
    _expire(session, [group_id])


def drop_memberships_of(session: Session, member_id: str) -> list[str]:
    """Remove a user or group from every group it is in; those groups change version."""
    parents = list(session.scalars(select(GroupMember.group_id).where(
        GroupMember.member_id == member_id)))
    lock_groups(session, parents)
    rows = session.execute(select(GroupMember.group_id).where(
        GroupMember.member_id == member_id).with_for_update()).scalars().all()
    if rows:
        session.execute(GroupMember.__table__.delete().where(
            GroupMember.member_id == member_id))
        bump(session, {group_id: -1 for group_id in rows})
    return list(rows)


def _expire(session: Session, group_ids: Iterable[str]) -> None:
    """Make in-session Group objects read their counters again from the database."""
    wanted = set(group_ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Group) and obj.id in wanted:
            session.expire(obj, list(COUNTERS))
