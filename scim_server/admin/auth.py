"""Admin keys: a bearer key binds the request to its organization and limits it by scope.

Each endpoint names one permission; a scope is a set of permissions. A key reaches only
its own organization: another organization's id in the URL answers 404, exactly as an
organization that does not exist, so ids of other tenants leak nothing.
"""
from __future__ import annotations

from typing import cast

from flask import current_app, g, request

from .. import db
from ..config import Config
from ..models import AdminKey, utcnow
from ..ops import rate_limit
from ..services import admin_keys, secrets
from ..services.actors import Actor
from .errors import Problem

PERMISSIONS: dict[str, str] = {
    "org:read": "read sites, products, licences, users, groups, grants and the audit log",
    "org:write": "create and change sites and products",
    "users:write": "change users, their lifecycle and admin-managed groups",
    "access:write": "grant and revoke product access",
    "invitations:write": "invite users and resend or revoke invitations",
    "requests:write": "decide access requests",
    "requests:file": "file access requests on behalf of a product",
    "activity:report": "report product activity",
    "keys:read": "list admin keys",
    "keys:write": "create and revoke admin keys",
    "directories:read": "read directories, their tokens and tolerance counters",
    "directories:write": "create directories and issue or revoke their tokens",
}
PUBLIC = "public"

SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "org-admin": frozenset(PERMISSIONS),
    "user-access-admin": frozenset({"org:read", "users:write", "access:write",
                                    "invitations:write", "requests:write", "requests:file"}),
    "read-only": frozenset({"org:read", "keys:read", "directories:read"}),
    "product-service": frozenset({"activity:report", "requests:file"}),
}


def permissions_of(scopes: list[str]) -> frozenset[str]:
    """Everything the scopes allow together; unknown scopes allow nothing."""
    allowed: set[str] = set()
    for scope in scopes:
        allowed |= SCOPE_PERMISSIONS.get(scope, frozenset())
    return frozenset(allowed)


def scopes_with(permission: str) -> list[str]:
    return [s for s, perms in SCOPE_PERMISSIONS.items() if permission in perms]


def authenticate(org_id: str) -> None:
    """Check the bearer key and bind the organization, the key and the actor to `g`."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="admin"'}
    if scheme.lower() != "bearer" or not secret.strip():
        raise Problem(401, "an admin key is required (Authorization: Bearer <key>)",
                      slug="unauthorized", headers=challenge)
    rate_limit.refuse_unverified_credential()
    session = db.session()
    key = admin_keys.find_usable_key(session, secret.strip())
    if key is None:
        rate_limit.record_failed_authentication()
        kind = secrets.credential_kind(secret.strip())
        detail = "the admin key is unknown, expired or revoked"
        if kind not in (None, "an admin key"):
            detail = (f"this is {kind}, not an admin key: the admin API wants an admin key "
                      "(SCIM tokens work on /scim/v2/directories/{directory_id})")
        raise Problem(401, detail, slug="unauthorized",
                      headers={"WWW-Authenticate": 'Bearer realm="admin", error="invalid_token"'})
    if key.org_id != org_id:
        raise Problem(404, f"no organization {org_id}", slug="not-found")
    _touch_last_used(key)
    g.admin_org_id = org_id
    g.admin_key = key
    g.admin_actor = Actor("admin_key", key.id, request_id=request_id())


def _touch_last_used(key: AdminKey) -> None:
    """Record use at a coarse resolution, so reads do not become writes on every request."""
    now = utcnow()
    resolution = cast(Config, current_app.config["SCIM"]).token_last_used_resolution_seconds
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= resolution:
        key.last_used_at = now
        g.admin_key_touched = True


def require(permission: str) -> None:
    """Refuse (403) unless the request's key has a scope that allows `permission`."""
    if permission == PUBLIC:
        return
    key = cast(AdminKey, g.admin_key)
    if permission not in permissions_of(list(key.scopes or [])):
        raise Problem(403, f"this key's scopes ({', '.join(key.scopes or [])}) do not allow "
                      f"this: it needs {permission!r} ({PERMISSIONS[permission]}), which "
                      f"{', '.join(scopes_with(permission))} allow", slug="insufficient-scope",
                      required_permission=permission)


def request_id() -> str | None:
    return g.get("request_id") or request.headers.get("X-Request-ID")


def org_id() -> str:
    return cast(str, g.admin_org_id)


def actor() -> Actor:
    return cast(Actor, g.admin_actor)
