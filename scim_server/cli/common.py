"""What every command needs: the app, a session that commits, JSON output."""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator

import click
from flask import Flask
from sqlalchemy.orm import Session

from .. import create_app, db, migrate
from ..config import Config
from ..services.errors import DomainError


def make_app() -> Flask:
    """The application for one command; its database connections close with the command."""
    app = create_app(Config.from_env())
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(app.extensions[db.EXTENSION_KEY][0].dispose)
    return app


def upgrade_database(app: Flask) -> None:
    with app.app_context():
        migrate.upgrade(db.engine())


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
