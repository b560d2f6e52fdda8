"""Settings read from the environment, so one image runs anywhere (twelve-factor)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _env_list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name) or ""
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def default_database_url() -> str:
    """The embedded default: a SQLite file in the working folder."""
    return f"sqlite:///{Path.cwd() / 'scim-server.sqlite3'}"


@dataclass
class Config:
    """Every setting the server reads; `from_env` fills it from `SCIM_*` variables."""

    database_url: str = field(default_factory=default_database_url)
    public_url: str = "http://127.0.0.1:8000"
    schemas_dir: Path = PROJECT_ROOT / "schemas"
    default_page_size: int = 100
    max_page_size: int = 1000
    max_body_bytes: int = 5 * 1024 * 1024
    bulk_max_operations: int = 1000
    bulk_max_payload_bytes: int = 5 * 1024 * 1024
    database_pool_size: int = 10
    database_echo: bool = False
    token_last_used_resolution_seconds: int = 300
    token_cache_seconds: float = 5.0
    smtp_url: str | None = None
    redis_url: str | None = None
    trust_forwarded_headers: bool = False
    forwarded_proxy_count: int = 1
    testing: bool = False
    # Operations (docs/operations.md): logs, metrics, rate limits, browsers, secrets.
    log_level: str = "INFO"
    metrics_token: str | None = field(default=None, repr=False)  # a secret: never printed
    metrics_database_cache_seconds: int = 15
    rate_limit_enabled: bool = True
    rate_limit_scim_per_second: float = 50.0
    rate_limit_scim_burst: int = 200
    rate_limit_admin_per_second: float = 50.0
    rate_limit_admin_burst: int = 200
    rate_limit_public_per_second: float = 1.0
    rate_limit_public_burst: int = 10
    cors_allowed_origins: tuple[str, ...] = ()
    token_rotation_overlap_hours: int = 24
    expiry_warning_days: tuple[int, ...] = (30, 7)
    # Invitations and the email outbox (docs/invitations.md).
    invitation_ttl_days: int = 30
    smtp_from: str = "scim-server@localhost"
    smtp_timeout_seconds: float = 30.0
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 30.0
    outbox_backoff_max_seconds: float = 3600.0
    outbox_lease_seconds: float = 300.0
    outbox_batch_size: int = 20
    outbox_poll_seconds: float = 5.0
    # The admin console (docs/console.md); unset secret_key = one the database keeps.
    secret_key: str | None = field(default=None, repr=False)
    console_link_minutes: int = 15
    console_idle_minutes: int = 30
    console_session_hours: int = 12

    @classmethod
    def from_env(cls, **overrides: Any) -> "Config":
        """Read `SCIM_*` variables; explicit overrides win (used by tests and the CLI)."""
        env = os.environ
        values: dict[str, Any] = {
            "database_url": env.get("SCIM_DATABASE_URL") or default_database_url(),
            "public_url": (env.get("SCIM_PUBLIC_URL") or cls.public_url).rstrip("/"),
            "schemas_dir": Path(env.get("SCIM_SCHEMAS_DIR") or cls.schemas_dir),
            "default_page_size": _env_int("SCIM_DEFAULT_PAGE_SIZE", cls.default_page_size),
            "max_page_size": _env_int("SCIM_MAX_PAGE_SIZE", cls.max_page_size),
            "max_body_bytes": _env_int("SCIM_MAX_BODY_BYTES", cls.max_body_bytes),
            "bulk_max_operations": _env_int("SCIM_BULK_MAX_OPERATIONS", cls.bulk_max_operations),
            "bulk_max_payload_bytes": _env_int(
                "SCIM_BULK_MAX_PAYLOAD_BYTES", cls.bulk_max_payload_bytes
            ),
            "database_pool_size": _env_int("SCIM_DATABASE_POOL_SIZE", cls.database_pool_size),
            "database_echo": _env_bool("SCIM_DATABASE_ECHO", False),
            "token_cache_seconds": _env_float("SCIM_TOKEN_CACHE_SECONDS", cls.token_cache_seconds),
            "smtp_url": env.get("SCIM_SMTP_URL") or None,
            "redis_url": env.get("SCIM_REDIS_URL") or None,
            "trust_forwarded_headers": _env_bool("SCIM_TRUST_FORWARDED_HEADERS", False),
            "forwarded_proxy_count": _env_int("SCIM_FORWARDED_PROXY_COUNT",
                                              cls.forwarded_proxy_count),
            "log_level": (env.get("SCIM_LOG_LEVEL") or cls.log_level).upper(),
            "metrics_token": env.get("SCIM_METRICS_TOKEN") or None,
            "metrics_database_cache_seconds": _env_int("SCIM_METRICS_DATABASE_CACHE_SECONDS",
                                                       cls.metrics_database_cache_seconds),
            "rate_limit_enabled": _env_bool("SCIM_RATE_LIMIT_ENABLED", True),
            "rate_limit_scim_per_second": _env_float("SCIM_RATE_LIMIT_SCIM_PER_SECOND",
                                                     cls.rate_limit_scim_per_second),
            "rate_limit_scim_burst": _env_int("SCIM_RATE_LIMIT_SCIM_BURST",
                                              cls.rate_limit_scim_burst),
            "rate_limit_admin_per_second": _env_float("SCIM_RATE_LIMIT_ADMIN_PER_SECOND",
                                                      cls.rate_limit_admin_per_second),
            "rate_limit_admin_burst": _env_int("SCIM_RATE_LIMIT_ADMIN_BURST",
                                               cls.rate_limit_admin_burst),
            "rate_limit_public_per_second": _env_float("SCIM_RATE_LIMIT_PUBLIC_PER_SECOND",
                                                       cls.rate_limit_public_per_second),
            "rate_limit_public_burst": _env_int("SCIM_RATE_LIMIT_PUBLIC_BURST",
                                                cls.rate_limit_public_burst),
            "cors_allowed_origins": _env_list("SCIM_CORS_ALLOWED_ORIGINS"),
            "token_rotation_overlap_hours": _env_int("SCIM_TOKEN_ROTATION_OVERLAP_HOURS",
                                                     cls.token_rotation_overlap_hours),
            "expiry_warning_days": tuple(int(d) for d in _env_list("SCIM_EXPIRY_WARNING_DAYS"))
            or cls.expiry_warning_days,
            "invitation_ttl_days": _env_int("SCIM_INVITATION_TTL_DAYS", cls.invitation_ttl_days),
            "smtp_from": env.get("SCIM_SMTP_FROM") or cls.smtp_from,
            "smtp_timeout_seconds": _env_float("SCIM_SMTP_TIMEOUT_SECONDS",
                                               cls.smtp_timeout_seconds),
            "outbox_max_attempts": _env_int("SCIM_OUTBOX_MAX_ATTEMPTS", cls.outbox_max_attempts),
            "outbox_backoff_seconds": _env_float("SCIM_OUTBOX_BACKOFF_SECONDS",
                                                 cls.outbox_backoff_seconds),
            "outbox_backoff_max_seconds": _env_float("SCIM_OUTBOX_BACKOFF_MAX_SECONDS",
                                                     cls.outbox_backoff_max_seconds),
            "outbox_lease_seconds": _env_float("SCIM_OUTBOX_LEASE_SECONDS",
                                               cls.outbox_lease_seconds),
            "outbox_batch_size": _env_int("SCIM_OUTBOX_BATCH_SIZE", cls.outbox_batch_size),
            "outbox_poll_seconds": _env_float("SCIM_OUTBOX_POLL_SECONDS", cls.outbox_poll_seconds),
            "secret_key": env.get("SCIM_SECRET_KEY") or None,
            "console_idle_minutes": _env_int("SCIM_CONSOLE_IDLE_MINUTES",
                                             cls.console_idle_minutes),
            "console_session_hours": _env_int("SCIM_CONSOLE_SESSION_HOURS",
                                              cls.console_session_hours),
        }
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        values.update(overrides)
        return cls(**values)
