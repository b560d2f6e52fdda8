"""The console's side navigation: one entry per page, shown to the roles that may open it.

Another page joins the navigation by adding one `NavEntry` here; an entry whose endpoint
is not registered (a page not built yet) is left out rather than breaking every page.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from ..services.console_auth import SignedIn


@dataclass(frozen=True)
class NavEntry:
    label: str
    endpoint: str


ENTRIES = (
    NavEntry("Users", "console.users"),
    NavEntry("Invite users", "console.invite_users"),
    NavEntry("Access requests", "console.access_requests"),
    NavEntry("Groups", "console.groups"),
    NavEntry("Products", "console.products"),
    NavEntry("Directories", "console.directories"),
    NavEntry("Inactive users", "console.inactive_users"),
    NavEntry("Domains", "console.domains"),
    NavEntry("Audit log", "console.audit_log"),
    NavEntry("Outbox", "console.outbox"),
)


def navigation(signed_in: SignedIn) -> list[dict[str, str]]:
    """The entries this admin may open, with their URLs."""
    from .blueprint import may_open

    views = current_app.view_functions
    items = []
    for entry in ENTRIES:
        view = views.get(entry.endpoint)
        area = getattr(view, "console_area", None)
        if view is None or area is None or not may_open(signed_in.role, area):
            continue
        # "console.users" is current on "console.user_detail" too; likewise for groups.
        items.append({"label": entry.label, "url": url_for(entry.endpoint),
                      "endpoint": entry.endpoint, "prefix": entry.endpoint.rstrip("s")})
    return items
