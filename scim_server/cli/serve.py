"""`scim-server serve`: migrate, then serve with gunicorn."""
from __future__ import annotations

from typing import Any

import click
from gunicorn.app.base import BaseApplication

from .common import make_app, upgrade_database


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn embedded, so `serve` needs no separate config file."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return make_app()


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """Production settings: timeouts above the identity providers' 60 s request timeout,
    a graceful stop that lets in-flight requests finish, keep-alive for sync bursts."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 90,
        "graceful_timeout": 30,
        "keepalive": 75,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
    }


def run_server(host: str, port: int, workers: int) -> None:
    GunicornServer(gunicorn_options(host, port, workers)).run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
def serve(host: str, port: int, workers: int) -> None:
    """Apply pending migrations, then serve HTTP."""
    upgrade_database(make_app())
    run_server(host, port, workers)
