"""`scim-server db`: apply, inspect and roll back Alembic migrations, back up SQLite."""
from __future__ import annotations

from pathlib import Path

import click

from .. import backups, db, migrate
from .common import make_app


@click.group("db")
def db_group() -> None:
    """Database schema management."""


@db_group.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration and say which (safe to run repeatedly)."""
    app = make_app()
    with app.app_context():
        report = migrate.upgrade(db.engine())
    if report.applied:
        click.echo(f"applied {len(report.applied)} migration(s): {', '.join(report.applied)}")
    elif report.state is migrate.SchemaState.AHEAD:
        click.echo("database is ahead of this version (a newer one migrated it): nothing to do")
    else:
        click.echo("database is up to date: nothing applied")


@db_group.command("downgrade")
@click.option("--to", "target", default="-1", show_default=True,
              help="Alembic revision to go back to; -1 undoes the last migration.")
def downgrade(target: str) -> None:
    """Undo the last migration (or down to --to); see docs/operations.md before you do."""
    app = make_app()
    with app.app_context():
        undone = migrate.downgrade(db.engine(), target)
    if undone:
        click.echo(f"undid {len(undone)} migration(s): {', '.join(undone)}")
    else:
        click.echo("nothing to undo")


@db_group.command("current")
def current() -> None:
    """Say whether the database is current, ahead of or behind this version."""
    app = make_app()
    with app.app_context():
        click.echo(migrate.schema_state(db.engine()).value)


@db_group.command("backup")
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False),
              help="File to write the copy to (must not exist).")
def backup(target: str) -> None:
    """Copy a SQLite database while it serves (SQLite's online backup; PostgreSQL: pg_dump)."""
    app = make_app()
    with app.app_context():
        engine = db.engine()
        if engine.dialect.name != "sqlite":
            raise click.ClickException(
                "use pg_dump for PostgreSQL: pg_dump --format=custom --file=scim.dump "
                "\"$SCIM_DATABASE_URL\" (docs/operations.md, Backup and restore)")
        path = Path(target)
        if path.exists():
            raise click.ClickException(f"{path} exists; name a new file")
        pages = backups.sqlite_online_backup(engine, path)
    click.echo(f"copied {pages} pages to {path}")
