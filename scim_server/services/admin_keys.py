"""Organization admin API keys: issued once, kept as hashes, limited by scopes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import AdminKey, Organization, utcnow
from ..models.admin_key import ADMIN_SCOPES
from . import audit, credential_stamp, secrets
from .actors import Actor
from .errors import InvalidInput, NotFound


@dataclass(frozen=True)
class IssuedKey:
    """A key as issued: `secret` is shown once and never stored."""

    key: AdminKey
    secret: str


def issue_admin_key(
    session: Session,
    org: Organization,
    scopes: list[str],
    actor: Actor,
    *,
    name: str = "",
    expires_in: timedelta | None = None,
) -> IssuedKey:
    """Issue a key for `org` with the given scopes."""
    unknown = sorted(set(scopes) - set(ADMIN_SCOPES))
    if not scopes or unknown:
        raise InvalidInput(
            f"unknown scopes {unknown}; choose from {', '.join(ADMIN_SCOPES)}"
            if unknown else "at least one scope is required"
        )
    secret = secrets.generate(secrets.ADMIN_KEY_PREFIX)
    key = AdminKey(
        org_id=org.id,
        name=name,
        scopes=sorted(set(scopes)),
        key_hash=secrets.digest(secret),
        hint=secrets.hint(secret),
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(key)
    session.flush()
    audit.record(session, org_id=org.id, actor=actor, action="admin_key.created",
                 target_type="admin_key", target_id=key.id, changes={"scopes": key.scopes})
    return IssuedKey(key, secret)


def revoke_admin_key(session: Session, org_id: str, key_id: str, actor: Actor) -> AdminKey:
    key = session.get(AdminKey, key_id)
    if key is None or key.org_id != org_id:
        raise NotFound(f"no admin key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        credential_stamp.bump(session)
        audit.record(session, org_id=org_id, actor=actor, action="admin_key.revoked",
                     target_type="admin_key", target_id=key.id)
    session.flush()
    return key


def find_usable_key(session: Session, secret: str, now: datetime | None = None) -> AdminKey | None:
    """The live key whose hash matches `secret`, or None."""
    if not secret.startswith(secrets.ADMIN_KEY_PREFIX):
        return None
    key = session.scalars(select(AdminKey).where(AdminKey.key_hash == secrets.digest(secret))).first()
    if key is None or not secrets.matches(secret, key.key_hash):
        return None
    now = now or utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    return key


def keys_query(org_id: str) -> Select:
    """The organization's admin keys (hints only, never secrets), for paging."""
    return select(AdminKey).where(AdminKey.org_id == org_id)
