"""`groups`: every group of the organization; admin-managed ones change here, synced ones
belong to their directory (409)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .. import db
from ..models import Group, GroupMember
from ..services import admin_groups as service
from . import auth
from .blueprint import ORG, endpoint, precondition
from .pagination import Page, SortKey, paginate
from .serializers import (GroupCreateSchema, GroupMemberSchema, GroupSchema, GroupsQuerySchema,
                          GroupUpdateSchema, MemberSchema, PageQuerySchema)

KEYS = (SortKey(Group.created_at), SortKey(Group.id))
MEMBER_KEYS = (SortKey(GroupMember.created_at), SortKey(GroupMember.member_id))
GROUP = ORG + "/groups/<group_id>"


def group_documents(session: Session, groups: list[Group]) -> list[dict[str, Any]]:
    counts = service.count_members(session, [g.id for g in groups])
    return [{"id": g.id, "name": g.display_name, "source": g.source,
             "directory_id": g.directory_id, "member_count": counts[g.id],
             "created_at": g.created_at} for g in groups]


@endpoint(ORG + "/groups", "GET", permission="org:read", tag="groups", response=GroupSchema,
          summary="List groups (synced and admin-managed)", query=GroupsQuerySchema, paged=True)
def list_groups(query: dict[str, Any]) -> Page:
    session = db.session()
    stmt = service.groups_query(auth.org_id(), source=query.get("source"),
                                directory_id=query.get("directory_id"), q=query.get("q"))
    page = paginate(session, stmt, KEYS, limit=query.get("limit"), cursor=query.get("cursor"))
    return Page(group_documents(session, page.items), page.next_cursor, page.total)


@endpoint(ORG + "/groups", "POST", permission="users:write", tag="groups",
          body=GroupCreateSchema, response=GroupSchema, statuses=(201,),
          summary="Create an admin-managed group")
def create_group(body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    group = service.create_group(session, auth.org_id(), body["name"], auth.actor())
    return group_documents(session, [group])[0]


@endpoint(GROUP, "GET", permission="org:read", tag="groups", response=GroupSchema,
          summary="Read a group")
def get_group(group_id: str) -> dict[str, Any]:
    session = db.session()
    return group_documents(session, [service.get_group(session, auth.org_id(), group_id)])[0]


def _locked(group_id: str) -> Group:
    session = db.session()
    group = service.get_group(session, auth.org_id(), group_id, lock=True)
    precondition(group_documents(session, [group])[0], GroupSchema)
    return group


@endpoint(GROUP, "PATCH", permission="users:write", tag="groups", body=GroupUpdateSchema,
          response=GroupSchema, summary="Rename an admin-managed group (synced: 409)")
def update_group(group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    group = service.rename_group(session, _locked(group_id), body["name"], auth.actor())
    return group_documents(session, [group])[0]


@endpoint(GROUP, "DELETE", permission="users:write", tag="groups", statuses=(204,),
          summary="Delete an admin-managed group (idempotent; synced: 409)")
def delete_group(group_id: str) -> None:
    session = db.session()
    group = session.get(Group, group_id)
    if group is None or group.org_id != auth.org_id():
        return None
    service.delete_group(session, _locked(group_id), auth.actor())
    return None


@endpoint(GROUP + "/members", "GET", permission="org:read", tag="groups",
          query=PageQuerySchema, response=GroupMemberSchema, paged=True,
          summary="List a group's direct members")
def list_members(group_id: str, query: dict[str, Any]) -> Page:
    session = db.session()
    group = service.get_group(session, auth.org_id(), group_id)
    return paginate(session, service.members_query(group.id), MEMBER_KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))


def _member(body: dict[str, Any]) -> tuple[str, str]:
    if "account_id" in body:
        return body["account_id"], "User"
    return body["group_id"], "Group"


@endpoint(GROUP + "/members", "POST", permission="users:write", tag="groups",
          body=MemberSchema, response=GroupSchema, statuses=(200,),
          summary="Add a user or group to an admin-managed group (idempotent; seat limits "
                  "enforced)")
def add_member(group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    group = _locked(group_id)
    member_id, member_type = _member(body)
    service.add_member(session, group, member_id, member_type, auth.actor())
    return group_documents(session, [group])[0]


@endpoint(GROUP + "/members", "DELETE", permission="users:write", tag="groups",
          body=MemberSchema, response=GroupSchema, statuses=(200,),
          summary="Remove a member named in the body (idempotent)")
def remove_member(group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    group = _locked(group_id)
    service.remove_member(session, group, _member(body)[0], auth.actor())
    return group_documents(session, [group])[0]


@endpoint(GROUP + "/members/<member_id>", "DELETE", permission="users:write", tag="groups",
          statuses=(204,), summary="Remove a member by id (idempotent)")
def remove_member_by_id(group_id: str, member_id: str) -> None:
    session = db.session()
    service.remove_member(session, _locked(group_id), member_id, auth.actor())
