"""`scim-server db upgrade`: apply pending Alembic migrations."""
from __future__ import annotations

import click

from .common import make_app, upgrade_database


@click.group("db")
def db_group() -> None:
    """Database schema management."""


@db_group.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration (safe to run repeatedly)."""
    upgrade_database(make_app())
    click.echo("database is up to date")
