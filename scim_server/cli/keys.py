"""`scim-server token create|revoke` and `scim-server admin-key create|revoke`."""
from __future__ import annotations

from datetime import timedelta

import click

from ..models import Directory, Organization, ScimToken
from ..models.admin_key import ADMIN_SCOPES, AdminKey
from ..services import admin_keys, tenancy
from ..services.actors import Actor
from .common import command_session, echo_json, make_app, require_database
from .kept_text import KeptText


@click.group("token")
def token_group() -> None:
    """SCIM bearer tokens of a directory."""


@token_group.command("create")
@click.option("--directory", "directory_id", required=True, help="Directory id.")
@click.option("--name", default="", type=KeptText(ScimToken.name),
              help="A label to tell tokens apart.")
@click.option("--expires-days", type=click.IntRange(min=1), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def create_token(directory_id: str, name: str, expires_days: int | None, as_json: bool) -> None:
    """Issue a token; it is printed once and only its hash is kept."""
    app = make_app()
    require_database(app)
    with command_session(app) as session:
        directory = session.get(Directory, directory_id)
        if directory is None:
            raise click.ClickException(f"no directory {directory_id}")
        expires = timedelta(days=expires_days) if expires_days else None
        issued = tenancy.issue_scim_token(session, directory, Actor.cli(), name=name,
                                          expires_in=expires)
        # `id` as in `POST directories/{id}/tokens`; `token_id` stays as an alias.
        payload = {"id": issued.token.id, "token_id": issued.token.id,
                   "directory_id": directory.id,
                   "scim_token": issued.secret,
                   "expires_at": issued.token.expires_at.isoformat()
                   if issued.token.expires_at else None}
    if as_json:
        echo_json(payload)
    else:
        click.echo(payload["scim_token"])


@token_group.command("revoke")
@click.argument("token_id")
def revoke_token(token_id: str) -> None:
    """Revoke a token by its id; it stops working at once."""
    app = make_app()
    require_database(app)
    with command_session(app) as session:
        tenancy.revoke_scim_token(session, token_id, Actor.cli())
    click.echo(f"revoked {token_id}")


@click.group("admin-key")
def admin_key_group() -> None:
    """Admin API keys of an organization."""


@admin_key_group.command("create")
@click.option("--org", "org_id", required=True, help="Organization id.")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(ADMIN_SCOPES), help="Repeat for several scopes.")
@click.option("--name", default="", type=KeptText(AdminKey.name))
@click.option("--expires-days", type=click.IntRange(min=1), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def create_admin_key(org_id: str, scopes: tuple[str, ...], name: str,
                     expires_days: int | None, as_json: bool) -> None:
    """Issue an admin key; it is printed once and only its hash is kept."""
    app = make_app()
    require_database(app)
    with command_session(app) as session:
        org = session.get(Organization, org_id)
        if org is None:
            raise click.ClickException(f"no organization {org_id}")
        expires = timedelta(days=expires_days) if expires_days else None
        issued = admin_keys.issue_admin_key(session, org, list(scopes), Actor.cli(),
                                            name=name, expires_in=expires)
        # The same names as `POST admin-keys`; `key_id` stays as an alias of `id`.
        payload = {"id": issued.key.id, "name": issued.key.name,
                   "scopes": issued.key.scopes,
                   "expires_at": issued.key.expires_at.isoformat()
                   if issued.key.expires_at else None,
                   "admin_key": issued.secret, "key_id": issued.key.id}
    if as_json:
        echo_json(payload)
    else:
        click.echo(payload["admin_key"])


@admin_key_group.command("revoke")
@click.option("--org", "org_id", required=True)
@click.argument("key_id", metavar="ID")
def revoke_admin_key(org_id: str, key_id: str) -> None:
    """Revoke an admin key by its `id` (as `admin-key create` and `GET admin-keys` show it)."""
    app = make_app()
    require_database(app)
    with command_session(app) as session:
        admin_keys.revoke_admin_key(session, org_id, key_id, Actor.cli())
    click.echo(f"revoked {key_id}")
