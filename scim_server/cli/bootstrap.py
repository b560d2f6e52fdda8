"""`scim-server bootstrap` and `scim-server quickstart`: a tenant ready to provision."""
from __future__ import annotations

import os
from typing import Any

import click
from sqlalchemy.orm import Session

from ..models import Directory, Organization
from ..models.directory import IDP_PROFILES
from ..services import admin_keys, tenancy
from ..services.actors import Actor
from ..services.email_addresses import check_email_address
from .kept_text import KeptText
from . import demo
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
        check_email_address(admin_email)
        demo.ensure_org_admin(session, org, admin_email)
    scim_path = f"/scim/v2/directories/{directory.id}"
    return {
        "org_id": org.id,
        "directory_id": directory.id,
        "scim_path": scim_path,
        "scim_url": public_url + scim_path,
        "scim_token": token.secret,
        "scim_token_id": token.token.id,  # `token rotate --token-id` and `token revoke` need it
        "admin_key": key.secret,
        "admin_key_id": key.key.id,
    }


@click.command()
@click.option("--org", "org_name", required=True, type=KeptText(Organization.name),
              help="Organization name.")
@click.option("--directory", "directory_name", required=True, type=KeptText(Directory.name),
              help="Directory name.")
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


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--admin-email", default=None,
              help="Make this address an org admin of the demo organization (admin emails).")
@click.option("--print-env", is_flag=True,
              help="Only print the export lines (for eval) and exit; serve later with `serve`.")
def quickstart(host: str, port: int, admin_email: str | None, print_env: bool) -> None:
    """Migrate, make sure a demo tenant exists, issue fresh credentials, and serve.

    Each run revokes the previous quickstart credentials, prints `export` lines for a
    shell (also saved to ./scim-server.env, mode 0600) and serves on HOST:PORT.
    """
    base_url = demo.url_for(host, port)
    os.environ.setdefault("SCIM_PUBLIC_URL", base_url)  # links and meta.location on this port
    app = make_app()
    upgrade_database(app)
    with command_session(app) as session:
        payload = demo.fresh_demo_credentials(session, base_url, admin_email)
        org = session.get_one(Organization, payload["org_id"])
        console_admin = demo.ensure_org_admin(session, org, admin_email or DEMO_ADMIN)
        console_url = sign_in_link(app, session, console_admin)
    lines = demo.export_lines(payload)
    env_file = demo.write_env_file(lines)
    click.echo(lines, nl=False)
    if print_env:
        return
    note = f" ({payload['revoked']} earlier quickstart credentials revoked)" \
        if payload["revoked"] else ""
    click.echo(f"\nCredentials saved to {env_file}{note}. In another terminal:\n"
               f"  . {env_file}\n"
               f"  curl -H \"Authorization: Bearer $SCIM_TOKEN\" \"$SCIM_URL/Users\"\n"
               f"  curl -H \"Authorization: Bearer $ADMIN_KEY\" \"$ADMIN_URL/users\"\n"
               f"API reference: {base_url}/admin/v1/docs · guide: docs/guide.md\n"
               f"Console: sign in as {console_admin.email} with this link (once, within "
               f"15 minutes; `scim-server console-link` makes another):\n  {console_url}\n"
               f"Serving on {base_url} (Ctrl-C stops).", err=True)
    run_server(host, port, workers=1)
