"""`scim-server token rotate`: a new token now, the old one until the overlap ends."""
from __future__ import annotations

from datetime import timedelta

import click

from ..services import token_rotation
from ..services.actors import Actor
from .common import command_session, echo_json, make_app, require_database


@click.command("rotate")
@click.option("--token-id", required=True, help="Id of the token to replace.")
@click.option("--overlap-hours", type=click.FloatRange(min=0), default=None,
              help="How long the old token keeps working "
                   "[default: SCIM_TOKEN_ROTATION_OVERLAP_HOURS, 24].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rotate_token(token_id: str, overlap_hours: float | None, as_json: bool) -> None:
    """Issue a successor token (printed once); the old one expires after the overlap."""
    app = make_app()
    require_database(app)
    hours = app.config["SCIM"].token_rotation_overlap_hours if overlap_hours is None \
        else overlap_hours
    with command_session(app) as session:
        rotated = token_rotation.rotate_scim_token(session, token_id, Actor.cli(),
                                                   overlap=timedelta(hours=hours))
        payload = {
            "token_id": rotated.new.id,
            "directory_id": rotated.new.directory_id,
            "scim_token": rotated.secret,
            "expires_at": rotated.new.expires_at.isoformat() if rotated.new.expires_at else None,
            "previous_token_id": rotated.old.id,
            "previous_expires_at": rotated.old.expires_at.isoformat()
            if rotated.old.expires_at else None,
        }
    if as_json:
        echo_json(payload)
    else:
        click.echo(payload["scim_token"])
        click.echo(f"token {rotated.old.id} keeps working until {payload['previous_expires_at']}",
                   err=True)
