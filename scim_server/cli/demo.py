"""The demo tenant `quickstart` keeps: one organization, one directory, one live pair of
credentials (each start revokes the previous pair, so old secrets in old shells stop
working instead of piling up), and the shell lines that put them in a terminal."""
from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, AdminKey, Directory, Organization, ScimToken
from ..services import admin_keys, tenancy
from ..services.actors import Actor
from ..services.email_addresses import email_norm

DEMO_ORG = "Example Org"
DEMO_DIRECTORY = "Default directory"
CREDENTIAL_NAME = "quickstart"
ENV_FILE = "scim-server.env"


def url_for(host: str, port: int) -> str:
    """The address a local client reaches `serve --host HOST --port PORT` at."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def ensure_org_admin(session: Session, org: Organization, email: str) -> Account:
    """An org-admin account with this email (made, or promoted), who gets admin emails."""
    account = session.scalars(select(Account).where(
        Account.org_id == org.id, Account.email_norm == email_norm(email))).first()
    if account is None:
        account = Account(org_id=org.id, email=email, email_norm=email_norm(email),
                          email_verified=True, is_org_admin=True, source="invited",
                          has_accessed=True, display_name=email)
        session.add(account)
    account.is_org_admin = True
    session.flush()
    return account


def _demo_directory(session: Session, actor: Actor) -> tuple[Organization, Directory]:
    org = session.scalars(select(Organization).where(Organization.name == DEMO_ORG)
                          .order_by(Organization.created_at)).first()
    if org is None:
        org = tenancy.create_organization(session, DEMO_ORG, actor)
    directory = session.scalars(select(Directory).where(Directory.org_id == org.id)
                                .order_by(Directory.created_at)).first()
    if directory is None:
        directory = tenancy.create_directory(session, org, DEMO_DIRECTORY, "generic", actor)
    return org, directory


def _revoke_previous(session: Session, org: Organization, directory: Directory,
                     actor: Actor) -> int:
    tokens = session.scalars(select(ScimToken.id).where(
        ScimToken.directory_id == directory.id, ScimToken.name == CREDENTIAL_NAME,
        ScimToken.revoked_at.is_(None))).all()
    keys = session.scalars(select(AdminKey.id).where(
        AdminKey.org_id == org.id, AdminKey.name == CREDENTIAL_NAME,
        AdminKey.revoked_at.is_(None))).all()
    for token_id in tokens:
        tenancy.revoke_scim_token(session, token_id, actor)
    for key_id in keys:
        admin_keys.revoke_admin_key(session, org.id, key_id, actor)
    return len(tokens) + len(keys)


def fresh_demo_credentials(session: Session, base_url: str,
                           admin_email: str | None) -> dict[str, Any]:
    """Make sure the demo tenant exists; revoke its old quickstart pair; issue a new one."""
    actor = Actor.cli()
    org, directory = _demo_directory(session, actor)
    revoked = _revoke_previous(session, org, directory, actor)
    token = tenancy.issue_scim_token(session, directory, actor, name=CREDENTIAL_NAME)
    key = admin_keys.issue_admin_key(session, org, ["org-admin"], actor, name=CREDENTIAL_NAME)
    if admin_email:
        ensure_org_admin(session, org, admin_email)
    scim_path = f"/scim/v2/directories/{directory.id}"
    return {"org_id": org.id, "directory_id": directory.id, "scim_path": scim_path,
            "scim_url": base_url + scim_path, "scim_token": token.secret,
            "admin_url": f"{base_url}/admin/v1/orgs/{org.id}", "admin_key": key.secret,
            "base_url": base_url, "revoked": revoked}


def export_lines(payload: dict[str, Any]) -> str:
    """`export` lines a POSIX shell can `eval` or source."""
    names = {"BASE_URL": "base_url", "SCIM_URL": "scim_url", "SCIM_TOKEN": "scim_token",
             "ADMIN_URL": "admin_url", "ADMIN_KEY": "admin_key", "ORG_ID": "org_id",
             "DIRECTORY_ID": "directory_id"}
    return "".join(f"export {name}={shlex.quote(str(payload[key]))}\n"
                   for name, key in names.items())


def write_env_file(text: str, folder: Path | None = None) -> Path:
    """Save the export lines beside the database, readable by this user only."""
    path = (folder or Path.cwd()) / ENV_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
