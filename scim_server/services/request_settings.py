"""The organization settings that govern access requests, sign-up and notifications.

They live in `Organization.settings` (JSON) next to other features' settings; a missing
key means its default.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import Organization
from . import audit
from .actors import Actor
from .errors import InvalidInput, NotFound

DEFAULTS: dict[str, Any] = {
    "deactivated_may_request": True,
    "notify_admins_on_requests": "always",
    "signup_any_domain": False,
}
NOTIFY_MODES = ("always", "approval_required")


def org_settings(session: Session, org_id: str) -> dict[str, Any]:
    """The request settings of the organization, defaults filled in."""
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"no organization {org_id}")
    stored = org.settings or {}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def update_settings(session: Session, org_id: str, changes: dict[str, Any],
                    actor: Actor) -> dict[str, Any]:
    """Change some request settings; other keys of `Organization.settings` are kept."""
    unknown = sorted(set(changes) - set(DEFAULTS))
    if unknown:
        raise InvalidInput(f"unknown settings: {', '.join(unknown)}")
    mode = changes.get("notify_admins_on_requests", "always")
    if mode not in NOTIFY_MODES:
        raise InvalidInput(f"notify_admins_on_requests must be one of {', '.join(NOTIFY_MODES)}")
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"no organization {org_id}")
    before = org_settings(session, org_id)
    org.settings = {**(org.settings or {}), **changes}  # a new dict, so the JSON is saved
    session.flush()
    diff = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    if diff:
        audit.record(session, org_id=org_id, actor=actor, action="organization.settings_updated",
                     target_type="organization", target_id=org_id, changes=diff)
    return org_settings(session, org_id)
