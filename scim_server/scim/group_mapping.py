"""Between the SCIM Group resource (RFC 7643 §4.2) and the stored group, both ways."""
from __future__ import annotations

import json
from typing import Any, Iterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..models import DirectoryUser, Group, GroupMember
from ..services.directory_groups import GroupData
from . import stored_lengths
from .schema_registry import CORE_GROUP
from .serializers import ParsedResource
from .urls import base_url, resource_url
from .user_mapping import etag, iso

RESOURCE_TYPE = "Group"
STREAM_BATCH = 2000


def group_data(parsed: ParsedResource, *, members_given: bool = True) -> GroupData:
    """Plain data for the service; `members` is None when the body leaves them alone."""
    document = dict(parsed.document)
    stored_lengths.check_names(displayName=document.get("displayName"),
                               externalId=document.get("externalId"))
    members = document.pop("members", None)
    ids = [m["value"] for m in members or [] if isinstance(m, dict) and m.get("value")]
    return GroupData(display_name=document["displayName"], attributes=document,
                     external_id=document.get("externalId"),
                     members=ids if members_given else None)


def to_resource(group: Group, members: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The Group resource; `members` None leaves the attribute out (not read at all)."""
    resource: dict[str, Any] = {"schemas": [CORE_GROUP], "id": group.id}
    resource.update(group.attributes or {})
    resource["displayName"] = group.display_name
    if members is not None:
        resource["members"] = members
    resource["meta"] = meta(group)
    return resource


def meta(group: Group) -> dict[str, Any]:
    return {"resourceType": RESOURCE_TYPE, "created": iso(group.created_at),
            "lastModified": iso(group.updated_at),
            "location": resource_url("Groups", group.id), "version": etag(group.version)}


def _member_query(group_ids: Sequence[str]) -> Any:
    nested = aliased(Group)
    return (select(GroupMember.group_id, GroupMember.member_id, GroupMember.member_type,
                   func.coalesce(DirectoryUser.display_name, nested.display_name))
            .outerjoin(DirectoryUser, DirectoryUser.id == GroupMember.member_id)
            .outerjoin(nested, nested.id == GroupMember.member_id)
            .where(GroupMember.group_id.in_(list(group_ids)))
            # The primary key's order: streaming starts at once, with no sort of all members.
            .order_by(GroupMember.group_id, GroupMember.member_id))


def _member(member_id: str, member_type: str, display: str | None, base: str
            ) -> dict[str, Any]:
    endpoint = "Users" if member_type == "User" else "Groups"
    value: dict[str, Any] = {"value": member_id, "$ref": f"{base}/{endpoint}/{member_id}",
                             "type": member_type}
    if display is not None:
        value["display"] = display
    return value


def members_of(session: Session, group_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Members of a page of groups, in one query."""
    result: dict[str, list[dict[str, Any]]] = {gid: [] for gid in group_ids}
    base = base_url()
    if group_ids:
        for group_id, member_id, member_type, display in session.execute(_member_query(group_ids)):
            result[group_id].append(_member(member_id, member_type, display, base))
    return result


def stream_members_json(session: Session, group_id: str, base: str) -> Iterator[str]:
    """The `members` array as JSON text, fetched in batches: memory stays flat at any size."""
    first = True
    yield "["
    rows = session.execute(_member_query([group_id]).execution_options(
        yield_per=STREAM_BATCH, stream_results=True))
    for _gid, member_id, member_type, display in rows:
        member = _member(member_id, member_type, display, base)
        yield ("" if first else ",") + json.dumps(member, ensure_ascii=False)
        first = False
    yield "]"
