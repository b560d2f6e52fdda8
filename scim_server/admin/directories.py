"""`directories`: identity-provider connections, their SCIM tokens and tolerance counters."""
from __future__ import annotations

from typing import Any

from flask import current_app

from .. import db
from ..models import Directory, ScimToken, ToleranceCounter
from ..services import directories_admin as service
from . import auth
from .blueprint import ORG, endpoint
from .pagination import Page, SortKey, paginate
from .serializers import (DirectoryCreateSchema, DirectorySchema, DirectoryUpdateSchema,
                          IssuedTokenSchema, PageQuerySchema, TokenCreateSchema, TokenSchema,
                          ToleranceSchema)

KEYS = (SortKey(Directory.created_at), SortKey(Directory.id))
TOKEN_KEYS = (SortKey(ScimToken.created_at), SortKey(ScimToken.id))
TOLERANCE_KEYS = (SortKey(ToleranceCounter.name),)
DIRECTORY = ORG + "/directories/<directory_id>"


def directory_document(directory: Directory) -> dict[str, Any]:
    return {"id": directory.id, "name": directory.name, "idp": directory.idp,
            "scim_path": f"/scim/v2/directories/{directory.id}",
            "created_at": directory.created_at, "rate_limit": _effective_limit(directory)}


def _effective_limit(directory: Directory) -> dict[str, Any]:
    """The limit each of the directory's SCIM tokens gets: its own, or the server's."""
    own = service.directory_rate_limit(directory)
    if own is not None:
        return {**own, "source": "directory"}
    config = current_app.config["SCIM"]
    return {"per_second": config.rate_limit_scim_per_second,
            "burst": config.rate_limit_scim_burst, "source": "server"}


@endpoint(ORG + "/directories", "GET", permission="directories:read", tag="directories",
          summary="List directories", query=PageQuerySchema, response=DirectorySchema,
          paged=True)
def list_directories(query: dict[str, Any]) -> Page:
    page = paginate(db.session(), service.directories_query(auth.org_id()), KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))
    return Page([directory_document(d) for d in page.items], page.next_cursor, page.total)


@endpoint(ORG + "/directories", "POST", permission="directories:write", tag="directories",
          summary="Create a directory with an identity-provider profile",
          body=DirectoryCreateSchema, response=DirectorySchema, statuses=(201,))
def create_directory(body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    directory = service.create_directory(session, auth.org_id(), body["name"], body["idp"],
                                         auth.actor())
    if body.get("rate_limit"):
        service.update_directory(session, directory, auth.actor(), rate_limit=body["rate_limit"])
    return directory_document(directory)


@endpoint(DIRECTORY, "PATCH", permission="directories:write", tag="directories",
          summary="Rename a directory or set its tokens' rate limit (null: server default)",
          body=DirectoryUpdateSchema, response=DirectorySchema)
def update_directory(directory_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    directory = service.get_directory(session, auth.org_id(), directory_id)
    service.update_directory(session, directory, auth.actor(), name=body.get("name"),
                             rate_limit=body.get("rate_limit"),
                             clear_rate_limit="rate_limit" in body and body["rate_limit"] is None)
    return directory_document(directory)


@endpoint(DIRECTORY, "GET", permission="directories:read", tag="directories",
          summary="Read a directory", response=DirectorySchema)
def get_directory(directory_id: str) -> dict[str, Any]:
    return directory_document(service.get_directory(db.session(), auth.org_id(), directory_id))


@endpoint(DIRECTORY + "/tokens", "GET", permission="directories:read", tag="directories",
          summary="List a directory's SCIM tokens (hints only)", query=PageQuerySchema,
          response=TokenSchema, paged=True)
def list_tokens(directory_id: str, query: dict[str, Any]) -> Page:
    session = db.session()
    directory = service.get_directory(session, auth.org_id(), directory_id)
    return paginate(session, service.tokens_query(directory.id), TOKEN_KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))


@endpoint(DIRECTORY + "/tokens", "POST", permission="directories:write", tag="directories",
          summary="Issue a SCIM token (the secret is shown once)", body=TokenCreateSchema,
          response=IssuedTokenSchema, statuses=(201,))
def create_token(directory_id: str, body: dict[str, Any]) -> dict[str, Any]:
    session = db.session()
    directory = service.get_directory(session, auth.org_id(), directory_id)
    issued = service.issue_token(session, directory, auth.actor(), name=body["name"],
                                 expires_in_days=body.get("expires_in_days"))
    token = issued.token
    return {"id": token.id, "name": token.name, "hint": token.hint,
            "created_at": token.created_at, "expires_at": token.expires_at,
            "revoked_at": token.revoked_at, "last_used_at": token.last_used_at,
            "directory_id": directory.id, "scim_token": issued.secret}


@endpoint(DIRECTORY + "/tokens/<token_id>", "DELETE", permission="directories:write",
          tag="directories", summary="Revoke a SCIM token (idempotent)", statuses=(204,))
def revoke_token(directory_id: str, token_id: str) -> None:
    session = db.session()
    directory = service.get_directory(session, auth.org_id(), directory_id)
    service.revoke_token(session, directory, token_id, auth.actor())


@endpoint(DIRECTORY + "/tolerances", "GET", permission="directories:read", tag="directories",
          summary="Which identity-provider workarounds fired, and how often",
          query=PageQuerySchema, response=ToleranceSchema, paged=True)
def list_tolerances(directory_id: str, query: dict[str, Any]) -> Page:
    session = db.session()
    directory = service.get_directory(session, auth.org_id(), directory_id)
    return paginate(session, service.tolerances_query(directory.id), TOLERANCE_KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))
