"""Groups a directory provisions, with memberships that cost O(k) to change.

A group of 300,000 members is never loaded to add or remove one: membership edits touch
only the rows named (RFC 7644 §3.5.2 with a large-group budget). `member_count` on the
group row moves in SQL with each change (services/group_versions.py); it is a cache that
no reader relies on — the admin API counts member rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import Directory, DirectoryUser, Group, GroupMember, utcnow
from . import audit, group_nesting, group_versions
from .actors import Actor
from .directory_users import norm
from .errors import Conflict, InvalidInput, NotFound, VersionMismatch

CHUNK = 500


@dataclass
class GroupData:
    """What a directory asserts about a group, already validated by the caller."""

    display_name: str
    attributes: dict[str, Any]
    external_id: str | None = None
    members: list[str] | None = None  # None: leave members as they are


@dataclass
class MemberEdit:
    """Membership changes of one request, in member ids."""

    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    replace_all: list[str] | None = None

    @property
    def empty(self) -> bool:
        return not self.add and not self.remove and self.replace_all is None


def get_group(session: Session, directory_id: str, group_id: str, *, lock: bool = False
              ) -> Group:
    """The directory's group by id; another directory's id is 'not found'.

    `lock` takes the row lock (`SELECT ... FOR UPDATE`) a write needs: its If-Match check,
    the membership rows it reads and its counters then hold until the transaction ends.
    """
    if lock:
        group = session.scalars(select(Group).where(Group.id == group_id).with_for_update()
                                .execution_options(populate_existing=True)).first()
    else:
        group = session.get(Group, group_id)
    if group is None or group.directory_id != directory_id:
        raise NotFound(f"no group {group_id}")
    return group


def create_group(session: Session, directory: Directory, data: GroupData, actor: Actor) -> Group:
    """Provision a synced group; its SCIM id is its admin id."""
    _ensure_name_free(session, directory, data.display_name, except_id=None)
    now = utcnow()
    group = Group(org_id=directory.org_id, directory_id=directory.id, source="synced",
                  version=1, member_count=0, created_at=now, updated_at=now)
    _apply(group, data)
    session.add(group)
    session.flush()
    added = _add_members(session, directory, group, data.members or [])
    group.member_count = added
    session.flush()
    audit.record(session, org_id=directory.org_id, actor=actor, action="scim.group.created",
                 target_type="group", target_id=group.id,
                 changes={"displayName": data.display_name, "members_added": added})
    return group


def replace_group(session: Session, directory: Directory, group: Group, data: GroupData,
                  actor: Actor, *, expected_version: int | None = None) -> Group:
    """Replace name, attributes and (when given) the whole member list (RFC 7644 §3.5.1)."""
    _check_version(group, expected_version)
    _ensure_name_free(session, directory, data.display_name, except_id=group.id)
    changed = (group.display_name != data.display_name or group.external_id != data.external_id
               or group.attributes != data.attributes)
    _apply(group, data)
    edit = MemberEdit(replace_all=data.members) if data.members is not None else MemberEdit()
    added, removed = apply_member_edit(session, directory, group, edit, touch=changed)
    if changed or added or removed:
        audit.record(session, org_id=directory.org_id, actor=actor, action="scim.group.updated",
                     target_type="group", target_id=group.id,
                     changes={"displayName": data.display_name, "members_added": added,
                              "members_removed": removed})
    session.flush()
    return group


def update_group(session: Session, directory: Directory, group: Group, data: GroupData,
                 edit: MemberEdit, actor: Actor, *, expected_version: int | None = None,
                 attributes_changed: bool = True) -> Group:
    """Apply a PATCH: new attributes (if changed) and membership edits of k rows."""
    _check_version(group, expected_version)
    if attributes_changed:
        _ensure_name_free(session, directory, data.display_name, except_id=group.id)
        _apply(group, data)
    added, removed = apply_member_edit(session, directory, group, edit,
                                       touch=attributes_changed)
    if attributes_changed or added or removed:
        audit.record(session, org_id=directory.org_id, actor=actor, action="scim.group.updated",
                     target_type="group", target_id=group.id,
                     changes={"displayName": group.display_name, "members_added": added,
                              "members_removed": removed})
    session.flush()
    return group


def delete_group(session: Session, directory: Directory, group: Group, actor: Actor, *,
                 expected_version: int | None = None) -> None:
    """Delete the group, its memberships, and its place in parent groups."""
    _check_version(group, expected_version)
    group_versions.drop_memberships_of(session, group.id)
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    session.delete(group)
    session.flush()
    audit.record(session, org_id=directory.org_id, actor=actor, action="scim.group.deleted",
                 target_type="group", target_id=group.id,
                 changes={"displayName": group.display_name})


def apply_member_edit(session: Session, directory: Directory, group: Group,
                      edit: MemberEdit, *, touch: bool = False) -> tuple[int, int]:
    """Apply adds, removes or a wholesale replacement; returns (added, removed).

    The caller holds the group's row lock (`get_group(lock=True)`). When members changed,
    or `touch` says the attributes did, the version moves and the count follows, in SQL.
    """
    added = removed = 0
    if edit.replace_all is not None:
        removed = session.execute(
            delete(GroupMember).where(GroupMember.group_id == group.id)).rowcount or 0
        added = _add_members(session, directory, group, edit.replace_all)
        if added or removed or touch:
            group_versions.set_member_count(session, group.id, added)
        return added, removed
    if edit.remove:
        for chunk in _chunks(_unique(edit.remove)):
            removed += session.execute(delete(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.member_id.in_(chunk))).rowcount or 0
    if edit.add:
        added = _add_members(session, directory, group, edit.add)
    if added or removed or touch:
        group_versions.bump(session, {group.id: added - removed})
    return added, removed


def _add_members(session: Session, directory: Directory, group: Group,
                 member_ids: Sequence[str]) -> int:
    """Insert the members not already there; unknown ids fail the request, nothing added."""
    wanted = _unique(member_ids)
    if not wanted:
        return 0
    kinds = _member_kinds(session, directory.id, wanted)
    unknown = [m for m in wanted if m not in kinds]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise InvalidInput(f"no user or group with id {shown} in this directory")
    nested = [m for m in wanted if kinds[m] == "Group"]
    if nested:
        _refuse_cycles(session, group.id, nested)
    existing: set[str] = set()
    for chunk in _chunks(wanted):
        existing.update(session.scalars(select(GroupMember.member_id).where(
            GroupMember.group_id == group.id, GroupMember.member_id.in_(chunk))))
    now = utcnow()
    rows = [{"group_id": group.id, "member_id": m, "member_type": kinds[m], "created_at": now}
            for m in wanted if m not in existing]
    if rows:
        session.execute(GroupMember.__table__.insert(), rows)
    return len(rows)


def _member_kinds(session: Session, directory_id: str, ids: list[str]) -> dict[str, str]:
    # Look up by primary key, then check the directory: a planner must never be tempted to
    # walk the directory's index instead of probing k ids.
    kinds: dict[str, str] = {}
    for chunk in _chunks(ids):
        kinds.update((i, "User") for i, owner in session.execute(
            select(DirectoryUser.id, DirectoryUser.directory_id).where(
                DirectoryUser.id.in_(chunk))) if owner == directory_id)
        kinds.update((i, "Group") for i, owner in session.execute(
            select(Group.id, Group.directory_id).where(Group.id.in_(chunk)))
            if owner == directory_id)
    return kinds


def _refuse_cycles(session: Session, group_id: str, nested: list[str]) -> None:
    """No cycles and no chain deeper than the one nesting limit (`group_nesting`)."""
    for child in nested:
        problem = group_nesting.nesting_problem(session, group_id, child)
        if problem is not None:
            raise InvalidInput(problem)


def _ensure_name_free(session: Session, directory: Directory, name: str,
                      except_id: str | None) -> None:
    """displayName is unique per directory, case-insensitively."""
    existing = session.scalars(select(Group.id).where(
        Group.directory_id == directory.id, Group.display_name_norm == norm(name))).first()
    if existing is not None and existing != except_id:
        raise Conflict(f"a group named {name!r} already exists in this directory")


def _apply(group: Group, data: GroupData) -> None:
    group.display_name = data.display_name
    group.display_name_norm = norm(data.display_name) or ""
    group.external_id = data.external_id
    group.attributes = data.attributes


def _check_version(group: Group, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != group.version:
        raise VersionMismatch(
            f"the group changed since version {expected_version}; it is now at {group.version}")


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def count_members(session: Session, group_id: str) -> int:
    return session.scalar(select(func.count()).select_from(GroupMember)
                          .where(GroupMember.group_id == group_id)) or 0
