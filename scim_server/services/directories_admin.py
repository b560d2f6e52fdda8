"""Directories as admins see them: create with an idp profile, tokens, tolerance counters."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Directory, Organization, ScimToken, ToleranceCounter
from . import audit, tenancy
from .actors import Actor
from .errors import NotFound


def directories_query(org_id: str) -> Select:
    """The organization's directories, for paging."""
    return select(Directory).where(Directory.org_id == org_id)


def get_directory(session: Session, org_id: str, directory_id: str) -> Directory:
    """One directory of the organization."""
    directory = session.scalars(select(Directory).where(
        Directory.id == directory_id, Directory.org_id == org_id)).first()
    if directory is None:
        raise NotFound(f"no directory {directory_id} in this organization")
    return directory


def create_directory(session: Session, org_id: str, name: str, idp: str,
                     actor: Actor) -> Directory:
    """A new directory of the organization with the given identity-provider profile."""
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"no organization {org_id}")
    return tenancy.create_directory(session, org, name, idp, actor)


def tokens_query(directory_id: str) -> Select:
    """A directory's tokens (hints only; secrets are never kept), for paging."""
    return select(ScimToken).where(ScimToken.directory_id == directory_id)


def issue_token(session: Session, directory: Directory, actor: Actor, *, name: str = "",
                expires_in_days: int | None = None) -> tenancy.IssuedToken:
    """A new SCIM token for the directory; its secret is returned once."""
    expires = timedelta(days=expires_in_days) if expires_in_days else None
    return tenancy.issue_scim_token(session, directory, actor, name=name, expires_in=expires)


def revoke_token(session: Session, directory: Directory, token_id: str, actor: Actor) -> bool:
    """Revoke one of the directory's tokens (idempotent); True when it was live."""
    token = session.get(ScimToken, token_id)
    if token is None or token.directory_id != directory.id:
        raise NotFound(f"no token {token_id} for directory {directory.id}")
    was_live = token.revoked_at is None
    tenancy.revoke_scim_token(session, token_id, actor)
    return was_live


def tolerances_query(directory_id: str) -> Select:
    """Which identity-provider workarounds fired for the directory, and how often."""
    return select(ToleranceCounter).where(ToleranceCounter.directory_id == directory_id)


RATE_LIMIT_SETTING = "rate_limit"


def directory_rate_limit(directory: Directory) -> dict[str, float] | None:
    """The directory's own SCIM rate limit (`per_second`, `burst`), or None for the default."""
    stored = (directory.settings or {}).get(RATE_LIMIT_SETTING)
    return dict(stored) if isinstance(stored, dict) else None


def update_directory(session: Session, directory: Directory, actor: Actor, *,
                     name: str | None = None, rate_limit: dict[str, float] | None = None,
                     clear_rate_limit: bool = False) -> Directory:
    """Rename a directory or set (or clear, back to the server default) its tokens' limit."""
    changes: dict[str, object] = {}
    if name is not None and name != directory.name:
        directory.name = name
        changes["name"] = name
    if rate_limit is not None or clear_rate_limit:
        settings = dict(directory.settings or {})
        if rate_limit is None:
            settings.pop(RATE_LIMIT_SETTING, None)
        else:
            settings[RATE_LIMIT_SETTING] = {"per_second": float(rate_limit["per_second"]),
                                            "burst": int(rate_limit["burst"])}
        directory.settings = settings  # a new dict, so the JSON column is seen as changed
        changes[RATE_LIMIT_SETTING] = settings.get(RATE_LIMIT_SETTING)
    if changes:
        session.flush()
        audit.record(session, org_id=directory.org_id, actor=actor,
                     action="directory.updated", target_type="directory",
                     target_id=directory.id, changes=changes)
    return directory
