"""`scim-server doctor`: check what a deployment depends on and say what to fix.

Each check returns a `Finding`; none raises. The command prints them and exits non-zero
when any failed, so it can gate a deploy or run from a health probe by hand.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from .. import migrate
from ..config import Config
from .mailer import DeliveryError, Mailer, parse_smtp_url

OK, WARN, FAIL = "ok", "warn", "fail"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


def connections_per_host(config: Config, workers: int) -> int:
    """The most PostgreSQL connections one host's `serve --workers N` can open."""
    return workers * (config.database_pool_size + config.database_max_overflow)


def check_configuration(config: Config) -> list[Finding]:
    findings = []
    public = urlsplit(config.public_url)
    if public.scheme != "https" and public.hostname not in LOOPBACK_HOSTS:
        findings.append(Finding("public_url", WARN, f"SCIM_PUBLIC_URL is {config.public_url}",
                                "serve over HTTPS behind the proxy (deploy/nginx) and set "
                                "SCIM_PUBLIC_URL=https://…"))
    else:
        findings.append(Finding("public_url", OK, config.public_url))
    if config.database_url.startswith("sqlite"):
        findings.append(Finding("database_url", WARN, "SQLite: one host only",
                                "set SCIM_DATABASE_URL=postgresql://… to run several hosts"))
    if not config.smtp_url:
        findings.append(Finding("smtp_url", WARN, "SCIM_SMTP_URL is not set: emails stay queued",
                                "set SCIM_SMTP_URL=smtp://host:587 (or smtps://)"))
    if not config.metrics_token:
        findings.append(Finding("metrics_token", WARN, "/metrics answers loopback callers only",
                                "set SCIM_METRICS_TOKEN for a Prometheus on another host"))
    return findings


def check_database(engine: Engine, config: Config, workers: int) -> list[Finding]:
    started = time.monotonic()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            settings = _postgres_settings(connection) if engine.dialect.name == "postgresql" \
                else {}
        state = migrate.schema_state(engine)
    except SQLAlchemyError as exc:
        return [Finding("database", FAIL, f"cannot reach the database: {type(exc).__name__}",
                        "check SCIM_DATABASE_URL and that the server accepts connections")]
    elapsed = (time.monotonic() - started) * 1000
    findings = [Finding("database", OK, f"{engine.dialect.name} answered in {elapsed:.0f} ms")]
    if state is migrate.SchemaState.BEHIND:
        findings.append(Finding("migrations", FAIL, "migrations pending",
                                "run `scim-server db upgrade`"))
    else:
        findings.append(Finding("migrations", OK, f"schema {state.value}"))
    if settings:
        findings += _postgres_findings(settings, config, workers)
    return findings


def _postgres_settings(connection: object) -> dict[str, str]:
    rows = connection.execute(text(  # type: ignore[attr-defined]
        "SELECT name, setting FROM pg_settings WHERE name IN "
        "('max_connections', 'superuser_reserved_connections', 'autovacuum')"))
    return {name: value for name, value in rows}


def _postgres_findings(settings: dict[str, str], config: Config, workers: int) -> list[Finding]:
    findings = []
    usable = int(settings["max_connections"]) - int(settings["superuser_reserved_connections"])
    per_host = connections_per_host(config, workers)
    hosts = usable // per_host if per_host else 0
    status = OK if hosts >= 2 else WARN if hosts == 1 else FAIL
    findings.append(Finding(
        "connection_budget", status,
        f"one host with {workers} workers opens up to {per_host} connections "
        f"(pool {config.database_pool_size} + overflow {config.database_max_overflow} per "
        f"worker); PostgreSQL accepts {usable}: room for {hosts} such host(s)",
        "" if status == OK else "lower SCIM_DATABASE_POOL_SIZE / SCIM_DATABASE_MAX_OVERFLOW "
        "or raise max_connections (docs/operations.md, pool sizing)"))
    if settings.get("autovacuum") != "on":
        findings.append(Finding(
            "autovacuum", WARN, "autovacuum is off: planner statistics go stale as tables grow",
            "turn autovacuum on, or keep `scim-server worker` running (it analyzes tables "
            "that grew)"))
    return findings


def check_smtp(config: Config) -> list[Finding]:
    if not config.smtp_url:
        return []
    try:
        settings = parse_smtp_url(config.smtp_url, sender=config.smtp_from,
                                  timeout=min(config.smtp_timeout_seconds, 10.0))
        Mailer(settings).verify()
    except ValueError as exc:
        return [Finding("smtp", FAIL, str(exc), "fix SCIM_SMTP_URL")]
    except DeliveryError as exc:
        return [Finding("smtp", FAIL, str(exc), "check the relay's address, port and login")]
    return [Finding("smtp", OK, f"{settings.host}:{settings.port} accepted a session")]


def check_redis(config: Config) -> list[Finding]:
    if not config.redis_url:
        return [Finding("redis", WARN, "SCIM_REDIS_URL is not set: rate limits are per process",
                        "set SCIM_REDIS_URL when running several workers or hosts")]
    import redis

    try:
        redis.Redis.from_url(config.redis_url, socket_connect_timeout=3,
                             socket_timeout=3).ping()
    except redis.RedisError as exc:
        return [Finding("redis", FAIL, f"cannot reach Redis: {type(exc).__name__}",
                        "check SCIM_REDIS_URL; the server falls back to per-process limits")]
    return [Finding("redis", OK, "answered PING")]


def diagnose(config: Config, engine: Engine, workers: int) -> list[Finding]:
    """Every check, in the order an operator fixes things."""
    checks: list[Callable[[], list[Finding]]] = [
        lambda: check_configuration(config), lambda: check_database(engine, config, workers),
        lambda: check_smtp(config), lambda: check_redis(config)]
    return [finding for check in checks for finding in check()]
