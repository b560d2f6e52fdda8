"""`scim-server serve`: migrate, then serve with gunicorn, tuned for identity providers.

- Worker: gthread that reads each request whole in its event loop before a thread serves
  it (cli/buffered_worker.py), so clients trickling their headers never hold a thread.
- `timeout` 90 s: identity providers give up after 60 s, so a slow request is never
  killed by the server while the client still waits for it.
- Graceful stop: on SIGTERM every worker stops accepting, finishes the requests it has
  (up to `--graceful-timeout` seconds) and then exits; kept-alive idle connections are
  closed. Orchestrators should allow a little more than that before SIGKILL.
- `keepalive` 75 s: above the 60 s idle timeout of common load balancers, so the
  balancer, not the server, closes idle connections (no reset races on reuse).
- `forwarded_allow_ips` empty: gunicorn itself trusts no `X-Forwarded-*`; the application
  applies them only when `SCIM_TRUST_FORWARDED_HEADERS` is set (ops/security.py).
- Gunicorn's own log lines are JSON too (`gunicorn_logging.py`), like every other line.
- No gunicorn control socket (`gunicornc`): signals are the management interface.
- Metrics with several workers need a shared folder (`PROMETHEUS_MULTIPROC_DIR`); one
  is made when it is unset, and emptied at start either way.
"""
from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile
from typing import Any

import click
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from .buffered_worker import BufferedThreadWorker
from .common import make_app, upgrade_database

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# gthread whose threads only see whole requests: slow clients cost a socket, not a thread.
WORKER_CLASS = "scim_server.cli.buffered_worker.BufferedThreadWorker"


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn embedded, so `serve` needs no separate config file."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self) -> Any:
        return make_app()


def _forget_worker_metrics(_server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the shared metrics folder."""
    if os.environ.get(METRICS_DIR_VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def gunicorn_options(host: str, port: int, workers: int, threads: int = 4,
                     graceful_timeout: int = 30) -> dict[str, Any]:
    """The production settings (see the module docstring for why each value)."""
    options: dict[str, Any] = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "threads": threads,
        "timeout": 90,
        "graceful_timeout": graceful_timeout,
        "keepalive": 75,
        "forwarded_allow_ips": "",
        "accesslog": None,  # the application writes one JSON line per request instead
        "errorlog": "-",
        "loglevel": "info",
        "logger_class": "scim_server.cli.gunicorn_logging.JsonGunicornLogger",  # JSON lines
        "proc_name": "scim-server",
        "child_exit": _forget_worker_metrics,
        # gunicorn 25+ opens a management socket in $HOME by default: one path per user, so
        # two servers on a host would fight over it, and nobody here needs remote control.
        "control_socket_disable": True,
    }
    if os.path.isdir("/dev/shm"):
        options["worker_tmp_dir"] = "/dev/shm"  # heartbeats off disk (containers, slow disks)
    return options


def prepare_metrics_dir(workers: int) -> str | None:
    """Make or empty the multiprocess metrics folder; must run before prometheus is imported."""
    path = os.environ.get(METRICS_DIR_VARIABLE)
    if not path and workers > 1:
        if "prometheus_client" in sys.modules:
            click.echo("warning: metrics will be per worker; set PROMETHEUS_MULTIPROC_DIR",
                       err=True)
            return None
        path = tempfile.mkdtemp(prefix="scim-server-metrics-")
        os.environ[METRICS_DIR_VARIABLE] = path
    if path:
        os.makedirs(path, exist_ok=True)
        for stale in glob.glob(os.path.join(path, "*.db")):
            os.remove(stale)
    return path


def run_server(host: str, port: int, workers: int, threads: int = 4,
               graceful_timeout: int = 30) -> None:
    GunicornServer(gunicorn_options(host, port, workers, threads, graceful_timeout)).run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1),
              help="Threads per worker.")
@click.option("--graceful-timeout", default=30, show_default=True, type=click.IntRange(min=1),
              help="Seconds a stopping worker may take to finish its requests.")
def serve(host: str, port: int, workers: int, threads: int, graceful_timeout: int) -> None:
    """Apply pending migrations, then serve HTTP."""
    given = os.environ.get(METRICS_DIR_VARIABLE)
    metrics_dir = prepare_metrics_dir(workers)
    app = make_app()
    upgrade_database(app)
    BufferedThreadWorker.max_body = app.config["SCIM"].max_body_bytes
    try:
        run_server(host, port, workers, threads, graceful_timeout)
    finally:
        if metrics_dir and not given:  # a folder we made is ours to remove
            shutil.rmtree(metrics_dir, ignore_errors=True)
