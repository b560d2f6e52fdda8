"""How many group members one list page renders: a budget, so a worker's memory is bounded.

`GET /Groups?count=1000` used to build every member of every group on the page in
memory: five groups of 20,000 members made a 20 MB response and a 477 MB worker. A page
of a list or search (`/Groups`, `/Groups/.search`, the root `/.search`) now renders the
members of its groups only while their total stays within the member budget
(`SCIM_LIST_MEMBER_BUDGET`, 10,000 by default; counted from `member_count`, so nothing is read to decide); a group that does not fit
is listed without `members`, and the response says so in the header
`SCIM-Members-Omitted` (how many groups, and what to do). `GET /Groups/{id}` always
returns every member, streamed in batches, and `excludedAttributes=members` skips them
altogether (what Entra ID and Okta send when listing).
"""
from __future__ import annotations

from typing import Sequence

from flask import Response, g

from ..models import Group
from . import context
from .blueprint import bp

HEADER = "SCIM-Members-Omitted"


def within_budget(groups: Sequence[Group]) -> list[Group]:
    """The groups of a page whose members are rendered; the others are noted as omitted."""
    left = context.config().list_member_budget
    shown: list[Group] = []
    for group in groups:
        size = group.member_count or 0
        if size <= left:
            shown.append(group)
            left -= size
    omitted = len(groups) - len(shown)
    if omitted:
        g.scim_members_omitted = g.get("scim_members_omitted", 0) + omitted
    return shown


@bp.after_request
def _say_what_was_omitted(response: Response) -> Response:
    omitted = g.pop("scim_members_omitted", 0)
    if omitted and response.status_code == 200:
        response.headers[HEADER] = (
            f"{omitted} group(s) listed without members: the page holds more than "
            f"{context.config().list_member_budget} members; GET /Groups/{{id}} returns "
            "them all")
    return response
