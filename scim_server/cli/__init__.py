"""The `scim-server` console script (names fixed by shared/DESIGN.md)."""
from __future__ import annotations

import click

from .bootstrap import bootstrap, quickstart
from .console import console_link
from .database import db_group
from .keys import admin_key_group, token_group
from .operations import doctor, prune
from .outbox import outbox_group
from .rotation import rotate_token
from .serve import serve
from .worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """SCIM 2.0 provisioning server. Settings come from SCIM_* environment variables."""


main.add_command(serve)
main.add_command(quickstart)
main.add_command(bootstrap)
main.add_command(db_group)
main.add_command(token_group)
token_group.add_command(rotate_token)
main.add_command(admin_key_group)
main.add_command(outbox_group)
main.add_command(worker)
main.add_command(prune)
main.add_command(doctor)
main.add_command(console_link)
