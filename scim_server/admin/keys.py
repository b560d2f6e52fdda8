"""`admin-keys`: the organization's API keys (secrets shown once, kept as hashes)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import db
from ..models import AdminKey, Organization
from ..services import admin_keys as service
from . import auth
from .blueprint import ORG, endpoint
from .pagination import Page, SortKey, paginate
from .serializers import (AdminKeyCreateSchema, AdminKeySchema, IssuedAdminKeySchema,
                          PageQuerySchema)

KEYS = (SortKey(AdminKey.created_at), SortKey(AdminKey.id))


@endpoint(ORG + "/admin-keys", "GET", permission="keys:read", tag="admin-keys",
          summary="List admin keys (hints only)", query=PageQuerySchema,
          response=AdminKeySchema, paged=True)
def list_keys(query: dict[str, Any]) -> Page:
    return paginate(db.session(), service.keys_query(auth.org_id()), KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))


@endpoint(ORG + "/admin-keys", "POST", permission="keys:write", tag="admin-keys",
          summary="Issue an admin key (the secret is shown once)", body=AdminKeyCreateSchema,
          response=IssuedAdminKeySchema, statuses=(201,))
def create_key(body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    org = session.get_one(Organization, auth.org_id())
    days = body.get("expires_in_days")
    issued = service.issue_admin_key(session, org, body["scopes"], auth.actor(),
                                     name=body["name"],
                                     expires_in=timedelta(days=days) if days else None)
    key = issued.key
    return {"id": key.id, "name": key.name, "hint": key.hint, "scopes": key.scopes,
            "created_at": key.created_at, "expires_at": key.expires_at,
            "revoked_at": key.revoked_at, "last_used_at": key.last_used_at,
            "admin_key": issued.secret}


@endpoint(ORG + "/admin-keys/<key_id>", "DELETE", permission="keys:write", tag="admin-keys",
          summary="Revoke an admin key (idempotent)", statuses=(204,))
def revoke_key(key_id: str) -> None:
    service.revoke_admin_key(db.session(), auth.org_id(), key_id, auth.actor())
