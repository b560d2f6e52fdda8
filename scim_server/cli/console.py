"""`scim-server console-link`: a one-time console sign-in link, printed instead of emailed."""
from __future__ import annotations

from typing import cast

import click
from flask import Flask
from sqlalchemy.orm import Session

from ..config import Config
from ..models import Account
from ..services import console_auth
from .common import command_session, echo_json, make_app, upgrade_database


def sign_in_link(app: Flask, session: Session, account: Account) -> str:
    """A fresh link for `account` (15 minutes, single use)."""
    config = cast(Config, app.config["SCIM"])
    _link, token = console_auth.issue_sign_in_link(session, account,
                                                   config.console_link_minutes)
    return f"{config.public_url}/console/sign-in?token={token}"


@click.command("console-link")
@click.option("--org", "org_id", required=True, help="Organization id.")
@click.option("--email", required=True, help="Email address of an admin of that organization.")
@click.option("--json", "as_json", is_flag=True, help='Print {"url": ...}.')
def console_link(org_id: str, email: str, as_json: bool) -> None:
    """Print a one-time console sign-in link for an org admin (valid 15 minutes, once)."""
    app = make_app()
    upgrade_database(app)
    with command_session(app) as session:
        account = console_auth.find_admin(session, org_id, email)
        url = sign_in_link(app, session, account)
    if as_json:
        echo_json({"url": url})
    else:
        click.echo(url)
