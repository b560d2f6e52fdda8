"""Groups as admins see them: every group is listed; only admin-managed ones change here.

Synced groups belong to their directory (RFC 7644 resources the identity provider
pushes), so the admin API reads them and refuses to change them (409). Names are folded
by the one rule SCIM uses (`casefold.fold`): one character for one, so a name that fits
`display_name` also fits `display_name_norm` (`str.lower()` makes "İ" two).
"""
from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..casefold import fold
from ..models import Account, Group, GroupMember
from . import audit, group_nesting, group_versions
from .actors import Actor
from .db_errors import is_unique_violation
from .errors import Conflict, InvalidInput, NotFound
from .licences import products_reached_by_groups, seat_guard
from .org_accounts import managed_by_directory


def groups_query(org_id: str, *, source: str | None = None, directory_id: str | None = None,
                 q: str | None = None) -> Select:
    """The organization's groups, optionally narrowed, for paging."""
    stmt = select(Group).where(Group.org_id == org_id)
    if source:
        stmt = stmt.where(Group.source == source)
    if directory_id:
        stmt = stmt.where(Group.directory_id == directory_id)
    if q:
        stmt = stmt.where(Group.display_name_norm.contains(fold(q), autoescape=True))
    return stmt


def get_group(session: Session, org_id: str, group_id: str, *, lock: bool = False) -> Group:
    """One group of the organization."""
    stmt = select(Group).where(Group.id == group_id, Group.org_id == org_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    group = session.scalars(stmt).first()
    if group is None:
        raise NotFound(f"no group {group_id} in this organization")
    return group


def _ensure_admin_managed(session: Session, group: Group) -> None:
    if group.source != "admin":
        raise managed_by_directory(session, f"group {group.display_name!r} ({group.id})",
                                   group.directory_id)


def _check_name_free(session: Session, org_id: str, name: str, group_id: str | None) -> None:
    clash = session.scalars(select(Group.id).where(
        Group.org_id == org_id, Group.source == "admin",
        Group.display_name_norm == fold(name), Group.id != (group_id or ""))).first()
    if clash is not None:
        raise Conflict(f"an admin-managed group named {name!r} already exists ({clash})")


def _flush_name(session: Session, group: Group, name: str) -> None:
    """Write the name; a concurrent writer of the same name loses with a clear 409.

    The check above reads committed rows only: two creates at once both pass it, and the
    unique index `uq_groups_admin_name` decides.
    """
    try:
        with session.begin_nested():
            session.add(group)
            session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise Conflict(f"an admin-managed group named {name!r} already exists") from None


def create_group(session: Session, org_id: str, name: str, actor: Actor) -> Group:
    """A new admin-managed group (no directory); names are unique among admin groups."""
    _check_name_free(session, org_id, name, None)
    group = Group(org_id=org_id, directory_id=None, source="admin", display_name=name,
                  display_name_norm=fold(name), attributes={}, member_count=0)
    _flush_name(session, group, name)
    audit.record(session, org_id=org_id, actor=actor, action="group.created",
                 target_type="group", target_id=group.id, changes={"name": name})
    return group


def rename_group(session: Session, group: Group, name: str, actor: Actor) -> Group:
    """Rename an admin-managed group."""
    _ensure_admin_managed(session, group)
    if name == group.display_name:
        return group
    _check_name_free(session, group.org_id, name, group.id)
    changes = {"name": [group.display_name, name]}
    group.display_name, group.display_name_norm = name, fold(name)
    _flush_name(session, group, name)
    group_versions.bump(session, {group.id: 0})
    audit.record(session, org_id=group.org_id, actor=actor, action="group.updated",
                 target_type="group", target_id=group.id, changes=changes)
    return group


def delete_group(session: Session, group: Group, actor: Actor) -> None:
    """Delete an admin-managed group, its grants and its place in other groups."""
    _ensure_admin_managed(session, group)
    group_versions.drop_memberships_of(session, group.id)
    session.delete(group)
    session.flush()
    audit.record(session, org_id=group.org_id, actor=actor, action="group.deleted",
                 target_type="group", target_id=group.id, changes={"name": group.display_name})


def members_query(group_id: str) -> Select:
    """A group's direct members, for paging."""
    return select(GroupMember).where(GroupMember.group_id == group_id)


def add_member(session: Session, group: Group, member_id: str, member_type: str,
               actor: Actor) -> bool:
    """Add an account or a group to an admin-managed group (idempotent); True when new.

    Members gain the products granted to the group and to every group containing it, so
    the change is refused if it would take one of those products past its seat limit.
    """
    _ensure_admin_managed(session, group)
    _check_member(session, group, member_id, member_type)
    if session.get(GroupMember, (group.id, member_id)) is not None:
        return False
    products = session.scalars(products_reached_by_groups(
        select(Group.id).where(Group.id == group.id))).all()
    with seat_guard(session, products):
        session.add(GroupMember(group_id=group.id, member_id=member_id, member_type=member_type))
        session.flush()
        group_versions.bump(session, {group.id: 1})
    audit.record(session, org_id=group.org_id, actor=actor, action="group.member_added",
                 target_type="group", target_id=group.id,
                 changes={"member_id": member_id, "member_type": member_type})
    return True


def _check_member(session: Session, group: Group, member_id: str, member_type: str) -> None:
    if member_type == "User":
        account = session.get(Account, member_id)
        if account is None or account.org_id != group.org_id:
            raise NotFound(f"no user {member_id} in this organization")
        if account.erased_at is not None:
            raise Conflict(f"user {member_id} was erased")
        return
    if member_type != "Group":
        raise InvalidInput("member type must be User or Group")
    get_group(session, group.org_id, member_id)
    # A cycle would make membership mean nothing; a chain past the limit would be read
    # differently by nobody, but refused here as it is over SCIM (`group_nesting`).
    problem = group_nesting.nesting_problem(session, group.id, member_id)
    if problem is not None:
        raise Conflict(problem)


def remove_member(session: Session, group: Group, member_id: str, actor: Actor) -> bool:
    """Remove a direct member from an admin-managed group (idempotent); True when removed."""
    _ensure_admin_managed(session, group)
    membership = session.get(GroupMember, (group.id, member_id))
    if membership is None:
        return False
    _drop_membership(session, membership)
    audit.record(session, org_id=group.org_id, actor=actor, action="group.member_removed",
                 target_type="group", target_id=group.id,
                 changes={"member_id": member_id, "member_type": membership.member_type})
    return True


def _drop_membership(session: Session, membership: GroupMember) -> None:
    session.delete(membership)
    session.flush()
    group_versions.bump(session, {membership.group_id: -1})


def count_members(session: Session, group_ids: list[str]) -> dict[str, int]:
    """Direct member counts read from the membership rows (the stored count is a cache)."""
    if not group_ids:
        return {}
    rows = session.execute(select(GroupMember.group_id, func.count())
                           .where(GroupMember.group_id.in_(group_ids))
                           .group_by(GroupMember.group_id))
    counts = {group_id: count for group_id, count in rows}
    return {g: int(counts.get(g, 0)) for g in group_ids}
