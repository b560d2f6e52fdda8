"""Organizations, directories and their SCIM tokens (the tenant boundary)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..models import Directory, Organization, ScimToken, Site, utcnow
from ..models.directory import IDP_PROFILES
from . import audit, credential_stamp, secrets
from .actors import Actor
from .errors import InvalidInput, NotFound


@dataclass(frozen=True)
class IssuedToken:
    """A token as issued: `secret` is shown once and never stored."""

    token: ScimToken
    secret: str


def create_organization(session: Session, name: str, actor: Actor) -> Organization:
    """A new organization with one default site."""
    org = Organization(name=name, settings={})
    session.add(org)
    session.flush()
    session.add(Site(org_id=org.id, name=name, url=None))
    audit.record(session, org_id=org.id, actor=actor, action="org.created",
                 target_type="organization", target_id=org.id, changes={"name": name})
    session.flush()
    return org


def create_directory(
    session: Session, org: Organization, name: str, idp: str, actor: Actor
) -> Directory:
    """A directory of `org` with the identity-provider profile `idp`."""
    if idp not in IDP_PROFILES:
        raise InvalidInput(f"unknown idp profile {idp!r}; choose one of {', '.join(IDP_PROFILES)}")
    directory = Directory(org_id=org.id, name=name, idp=idp, settings={})
    session.add(directory)
    session.flush()
    audit.record(session, org_id=org.id, actor=actor, action="directory.created",
                 target_type="directory", target_id=directory.id,
                 changes={"name": name, "idp": idp})
    return directory


def issue_scim_token(
    session: Session,
    directory: Directory,
    actor: Actor,
    *,
    name: str = "",
    expires_in: timedelta | None = None,
) -> IssuedToken:
    """Issue a bearer token for one directory; only its hash is kept."""
    secret = secrets.generate(secrets.SCIM_TOKEN_PREFIX)
    token = ScimToken(
        directory_id=directory.id,
        name=name,
        token_hash=secrets.digest(secret),
        hint=secrets.hint(secret),
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(token)
    session.flush()
    audit.record(session, org_id=directory.org_id, actor=actor, action="scim_token.created",
                 target_type="scim_token", target_id=token.id,
                 changes={"directory_id": directory.id, "expires_at": _iso(token.expires_at)})
    return IssuedToken(token, secret)


def revoke_scim_token(session: Session, token_id: str, actor: Actor) -> ScimToken:
    """Revoke a token; requests with it fail from the next one on."""
    token = session.get(ScimToken, token_id)
    if token is None:
        raise NotFound(f"no SCIM token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        credential_stamp.bump(session)
        directory = session.get(Directory, token.directory_id)
        audit.record(session, org_id=directory.org_id if directory else None, actor=actor,
                     action="scim_token.revoked", target_type="scim_token", target_id=token.id)
    session.flush()
    return token


def find_usable_token(session: Session, secret: str, now: datetime | None = None) -> ScimToken | None:
    """The live token whose hash matches `secret`, or None (unknown, revoked or expired)."""
    if not secret.startswith(secrets.SCIM_TOKEN_PREFIX):
        return None
    token = session.scalars(
        select(ScimToken).where(ScimToken.token_hash == secrets.digest(secret))
    ).first()
    if token is None or not secrets.matches(secret, token.token_hash):
        return None
    now = now or utcnow()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


def record_token_use(engine: Engine, token_id: str, *, resolution_seconds: int) -> None:
    """Set `last_used_at` unless another request did within the resolution; best effort.

    The conditional UPDATE makes concurrent workers write at most once per window. On
    SQLite it waits at most a moment for the write lock instead of the usual 30 s.
    """
    now = utcnow()
    stale = or_(ScimToken.last_used_at.is_(None),
                ScimToken.last_used_at < now - timedelta(seconds=resolution_seconds))
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout=250")
            try:
                connection.execute(update(ScimToken).where(ScimToken.id == token_id, stale)
                                   .values(last_used_at=now))
                connection.commit()
            finally:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("PRAGMA busy_timeout=30000")
    except SQLAlchemyError:
        pass  # a busy database loses one last-used update, never a request


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
