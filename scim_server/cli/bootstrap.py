"""`scim-server bootstrap` and `scim-server quickstart`: a tenant ready to provision."""
from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, Directory, Organization
from ..models.directory import IDP_PROFILES
from ..services import admin_keys, tenancy
from ..services.actors import Actor
from .common import command_session, echo_json, make_app, upgrade_database
from .console import sign_in_link
from .serve import run_server


def _bootstrap(session: Session, org_name: str, directory_name: str, idp: str,
               admin_email: str | None, public_url: str) -> dict[str, Any]:
    actor = Actor.cli()
    org = tenancy.create_organization(session, org_name, actor)
    directory = tenancy.create_directory(session, org, directory_name, idp, actor)
    token = tenancy.issue_scim_token(session, directory, actor, name="bootstrap")
    key = admin_keys.issue_admin_key(session, org, ["org-admin"], actor, name="bootstrap")
    if admin_email:
        session.add(Account(org_id=org.id, email=admin_email, email_norm=admin_email.lower(),
                            email_verified=True, is_org_admin=True, source="invited",
                            has_accessed=True, display_name=admin_email))
        session.flush()
    scim_path = f"/scim/v2/directories/{directory.id}"
    return {
        "org_id": org.id,
        "directory_id": directory.id,
        "scim_path": scim_path,
        "scim_url": public_url + scim_path,
        "scim_token": token.secret,
        "admin_key": key.secret,
    }


@click.command()
@click.option("--org", "org_name", required=True, help="Organization name.")
@click.option("--directory", "directory_name", required=True, help="Directory name.")
@click.option("--idp", type=click.Choice(IDP_PROFILES), default="generic", show_default=True)
@click.option("--admin-email", default=None, help="Also create an org-admin account.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bootstrap(org_name: str, directory_name: str, idp: str, admin_email: str | None,
              as_json: bool) -> None:
    """Create an organization, a directory, a SCIM token and an org-admin key."""
    app = make_app()
    upgrade_database(app)
    with command_session(app) as session:
        payload = _bootstrap(session, org_name, directory_name, idp, admin_email,
                             app.config["SCIM"].public_url)
    if as_json:
        echo_json(payload)
    else:
        for name, value in payload.items():
            click.echo(f"{name}: {value}")


DEMO_ADMIN = "admin@example.com"


def _demo_admin(session: Session, org_id: str) -> Account:
    """The demo tenant's org admin, who receives the console sign-in link."""
    account = session.scalars(select(Account).where(Account.org_id == org_id,
                                                    Account.email_norm == DEMO_ADMIN)).first()
    if account is None:
        account = Account(org_id=org_id, email=DEMO_ADMIN, email_norm=DEMO_ADMIN,
                          email_verified=True, is_org_admin=True, source="invited",
                          has_accessed=True, display_name="Demo admin")
        session.add(account)
        session.flush()
    return account


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def quickstart(host: str, port: int) -> None:
    """Migrate, make sure a demo tenant exists, print fresh credentials, and serve."""
    app = make_app()
    upgrade_database(app)
    with command_session(app) as session:
        directory = session.scalars(select(Directory).order_by(Directory.created_at)).first()
        if directory is None:
            payload = _bootstrap(session, "Example Org", "Default directory", "generic", None,
                                 app.config["SCIM"].public_url)
        else:
            org = session.get(Organization, directory.org_id)
            assert org is not None
            token = tenancy.issue_scim_token(session, directory, Actor.cli(), name="quickstart")
            key = admin_keys.issue_admin_key(session, org, ["org-admin"], Actor.cli(),
                                             name="quickstart")
            scim_path = f"/scim/v2/directories/{directory.id}"
            payload = {"org_id": org.id, "directory_id": directory.id, "scim_path": scim_path,
                       "scim_url": app.config["SCIM"].public_url + scim_path,
                       "scim_token": token.secret, "admin_key": key.secret}
        admin = _demo_admin(session, payload["org_id"])
        payload["console_url"] = sign_in_link(app, session, admin)
    echo_json(payload)
    click.echo(f"Console (sign in as {DEMO_ADMIN}, link works once for 15 minutes): "
               f"{payload['console_url']}", err=True)
    click.echo(f"Try: curl -H 'Authorization: Bearer {payload['scim_token']}' "
               f"http://{host}:{port}{payload['scim_path']}/Users", err=True)
    run_server(host, port, workers=1)
