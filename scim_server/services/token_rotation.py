"""Rotate a directory's SCIM token: the new one works at once, the old one for an overlap.

The overlap gives an admin time to paste the new token into the identity provider
without a failed sync in between. The old token keeps working until `now + overlap`
(never longer than it would have anyway); the new one gets the same lifetime the old
one was issued with, so a policy of expiring tokens survives rotation.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..models import Directory, ScimToken, utcnow
from . import audit, credential_stamp, tenancy
from .actors import Actor
from .errors import InvalidInput, NotFound

MAX_OVERLAP = timedelta(days=90)


@dataclass(frozen=True)
class RotatedToken:
    """The outcome of a rotation: `secret` (of `new`) is shown once and never stored."""

    old: ScimToken
    new: ScimToken
    secret: str


def rotate_scim_token(session: Session, token_id: str, actor: Actor, *,
                      overlap: timedelta, now: datetime | None = None) -> RotatedToken:
    """Issue a successor of a live token and let the old one expire after `overlap`."""
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise InvalidInput(f"the overlap must be between 0 and {MAX_OVERLAP.days} days")
    now = now or utcnow()
    old = session.get(ScimToken, token_id)
    directory = session.get(Directory, old.directory_id) if old is not None else None
    if old is None or directory is None:
        raise NotFound(f"no SCIM token {token_id}")
    if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
        raise InvalidInput(f"SCIM token {token_id} is revoked or expired; issue a new one "
                           "instead of rotating it")
    lifetime = old.expires_at - old.created_at if old.expires_at is not None else None
    issued = tenancy.issue_scim_token(session, directory, actor, name=old.name,
                                      expires_in=lifetime)
    if lifetime is not None:
        issued.token.expires_at = now + lifetime  # on the same clock as the overlap
    overlap_end = now + overlap
    if old.expires_at is None or overlap_end < old.expires_at:
        old.expires_at = overlap_end
        credential_stamp.bump(session)  # workers cached the old, later expiry
    session.flush()
    audit.record(session, org_id=directory.org_id, actor=actor, action="scim_token.rotated",
                 target_type="scim_token", target_id=old.id,
                 changes={"successor_id": issued.token.id,
                          "old_expires_at": old.expires_at.isoformat()})
    return RotatedToken(old=old, new=issued.token, secret=issued.secret)
