"""What every command needs: the app, a session that commits, JSON output."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click
from flask import Flask
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .. import create_app, db, migrate
from ..config import Config
from ..services.errors import DomainError


def make_app() -> Flask:
    """The application for one command; its database connections close with the command."""
    try:
        config = Config.from_env()
    except ValueError as exc:  # a malformed SCIM_* variable: say which, no traceback
        raise click.ClickException(str(exc)) from None
    app = create_app(config)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(app.extensions[db.EXTENSION_KEY][0].dispose)
    return app


def upgrade_database(app: Flask) -> None:
    with app.app_context():
        migrate.upgrade(db.engine())


def require_database(app: Flask) -> None:
    """Refuse cleanly, before anything is created, unless the database exists and is migrated.

    Commands that only use a database (token, admin-key, outbox) must not create an empty
    SQLite file in whatever folder they were started from, nor die in a traceback.
    """
    config = app.config["SCIM"]
    url = make_url(config.database_url)
    where = url.render_as_string(hide_password=True)
    fix = "run `scim-server db upgrade` or set SCIM_DATABASE_URL"
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        if not path.exists():
            raise click.ClickException(f"no database at {path.resolve()}: {fix}")
        where = str(path.resolve())
    try:
        with app.app_context():
            current = migrate.is_current(db.engine())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise click.ClickException(f"cannot open the database at {where} ({reason}): "
                                   f"{fix}") from None
    if not current:
        raise click.ClickException(f"the database at {where} is not migrated to this "
                                   f"version: {fix}")


@contextmanager
def command_session(app: Flask) -> Iterator[Session]:
    """A transaction for one command: committed on success, rolled back on any error."""
    with app.app_context():
        session = db.new_session(app)
        try:
            yield session
            session.commit()
        except DomainError as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def echo_json(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, indent=2))
