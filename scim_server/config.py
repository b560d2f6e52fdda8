"""Settings read from the environment, so one image runs anywhere (twelve-factor).

`Config` is the one table of settings: each field is a setting, its type hint is how the
environment variable is parsed, its default is the default, and `setting(...)` adds what
it means. `Config.from_env` reads the table; `config_reference.py` renders it as
docs/configuration.md (a test fails when the two disagree). A field's variable is
`SCIM_` + its name in capitals.
"""
from __future__ import annotations

import os
import types
import typing
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from .resources import data_dir

ENV_PREFIX = "SCIM_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def default_database_url() -> str:
    """The embedded default: a SQLite file in the working folder."""
    return f"sqlite:///{Path.cwd() / 'scim-server.sqlite3'}"


def setting(default: Any = MISSING, *, meaning: str, group: str, shown: str | None = None,
            factory: Callable[[], Any] | None = None, env: bool = True,
            normalize: Callable[[Any], Any] | None = None, secret: bool = False) -> Any:
    """A row of the table: a dataclass field that knows what it means and how it is shown."""
    metadata = {"meaning": meaning, "group": group, "shown": shown, "env": env,
                "normalize": normalize}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata, repr=not secret)
    return field(default=default, metadata=metadata, repr=not secret)


_DB, _HTTP, _LIMITS, _OPS, _EMAIL, _KEYS, _WORKER = (
    "Database", "HTTP and SCIM", "Rate limits", "Operations", "Invitations and email",
    "Tokens and keys", "Worker and retention")


@dataclass
class Config:
    """Every setting the server reads; `from_env` fills it from `SCIM_*` variables."""

    database_url: str = setting(
        factory=default_database_url, group=_DB,
        shown="`scim-server.sqlite3` in the working folder",
        meaning="SQLite file, or `postgresql://user:password@host:5432/db`")
    database_pool_size: int = setting(
        5, group=_DB, meaning="connections each worker keeps open (PostgreSQL; see "
        "docs/operations.md, pool sizing)")
    database_max_overflow: int = setting(
        5, group=_DB, meaning="extra connections a worker may open under bursts")
    database_pool_timeout_seconds: float = setting(
        10.0, group=_DB, meaning="how long a request waits for a free pooled connection")
    database_connect_timeout_seconds: int = setting(
        5, group=_DB, meaning="give up connecting to PostgreSQL after this long")
    database_statement_timeout_seconds: float = setting(
        30.0, group=_DB, meaning="PostgreSQL cancels a statement running longer (0: never)")
    database_lock_timeout_seconds: float = setting(
        0.0, group=_DB, meaning="PostgreSQL gives up waiting for a row lock after this (0: never)")
    database_deadline_grace_seconds: float = setting(
        5.0, group=_DB, meaning="beyond the statement timeout, when the client severs a silent "
        "connection")
    database_keepalives_idle_seconds: int = setting(
        10, group=_DB, meaning="TCP keepalive: idle time before the first probe")
    database_keepalives_interval_seconds: int = setting(
        5, group=_DB, meaning="TCP keepalive: time between probes")
    database_keepalives_count: int = setting(
        3, group=_DB, meaning="TCP keepalive: unanswered probes before the connection is dead")
    database_tcp_user_timeout_seconds: float = setting(
        25.0, group=_DB, meaning="unacknowledged data older than this kills the connection")
    database_echo: bool = setting(False, group=_DB, meaning="log every SQL statement")
    public_url: str = setting(
        "http://127.0.0.1:8000", group=_HTTP, normalize=lambda url: url.rstrip("/"),
        meaning="the address clients use: base of `meta.location` and of links in emails")
    schemas_dir: Path = setting(
        factory=lambda: data_dir("schemas"), group=_HTTP, shown="the package's `schemas/`",
        meaning="folder of the RFC 7643 schema documents served and validated against")
    default_page_size: int = setting(
        100, group=_HTTP, meaning="page size when a list request gives none")
    max_page_size: int = setting(1000, group=_HTTP, meaning="largest page a client may ask")
    list_member_budget: int = setting(
        10_000, group=_HTTP, meaning="group members one list page renders across its groups "
        "(docs/scim.md)")
    max_body_bytes: int = setting(
        5 * 1024 * 1024, group=_HTTP, meaning="largest request body; larger ones get 413")
    bulk_max_operations: int = setting(
        1000, group=_HTTP, meaning="operations per SCIM Bulk request (advertised)")
    bulk_max_payload_bytes: int = setting(
        5 * 1024 * 1024, group=_HTTP, meaning="bytes per SCIM Bulk request (advertised)")
    trust_forwarded_headers: bool = setting(
        False, group=_HTTP, meaning="honour `X-Forwarded-*` (only behind a proxy that sets them)")
    forwarded_proxy_count: int = setting(
        1, group=_HTTP, meaning="how many proxies stand in front of the server")
    cors_allowed_origins: tuple[str, ...] = setting(
        (), group=_HTTP, meaning="browser origins allowed to call the admin API (comma-separated)")
    rate_limit_enabled: bool = setting(
        True, group=_LIMITS, meaning="`false` switches every rate limit off")
    rate_limit_scim_per_second: float = setting(
        100.0, group=_LIMITS, meaning="refill rate of each SCIM token's bucket (requests/s)")
    rate_limit_scim_burst: int = setting(
        1000, group=_LIMITS, meaning="size of each SCIM token's bucket (requests)")
    rate_limit_admin_per_second: float = setting(
        50.0, group=_LIMITS, meaning="refill rate of each admin key's bucket (requests/s)")
    rate_limit_admin_burst: int = setting(
        200, group=_LIMITS, meaning="size of each admin key's bucket (requests)")
    rate_limit_public_per_second: float = setting(
        1.0, group=_LIMITS, meaning="refill rate per client address on `/signup` and accept")
    rate_limit_public_burst: int = setting(
        10, group=_LIMITS, meaning="bucket size per client address on `/signup` and accept")
    rate_limit_auth_failures_per_second: float = setting(
        1.0, group=_LIMITS, meaning="failed authentications allowed per client address "
        "(refill, per second), checked before any database work")
    rate_limit_auth_failures_burst: int = setting(
        20, group=_LIMITS, meaning="failed authentications a client address may make at once")
    redis_url: str | None = setting(
        None, group=_LIMITS, shown="unset (limits per process)",
        meaning="Redis shared by every worker for rate limits")
    log_level: str = setting("INFO", group=_OPS, normalize=str.upper,
                             meaning="`DEBUG`, `INFO`, `WARNING` or `ERROR`")
    metrics_token: str | None = setting(
        None, group=_OPS, secret=True, shown="unset (loopback only)",
        meaning="bearer token `/metrics` asks for")
    metrics_database_cache_seconds: int = setting(
        15, group=_OPS, meaning="how long `/metrics` reuses its database gauges")
    token_cache_seconds: float = setting(
        5.0, group=_KEYS, meaning="how long a worker trusts a SCIM token it checked (0: never)")
    token_last_used_resolution_seconds: int = setting(
        300, group=_KEYS, meaning="a credential's `last_used_at` is written at most this often")
    token_rotation_overlap_hours: int = setting(
        24, group=_KEYS, meaning="hours a rotated token keeps working beside its successor")
    expiry_warning_days: tuple[int, ...] = setting(
        (30, 7), group=_KEYS, meaning="days before expiry when admins are warned (comma-separated)")
    invitation_ttl_days: int = setting(30, group=_EMAIL, meaning="days an invitation link lives")
    smtp_url: str | None = setting(
        None, group=_EMAIL, shown="unset (emails stay queued)",
        meaning="`smtp://host:port`, `smtps://…`, `smtp+starttls://user:pass@host:587`; "
                "`console:` prints emails to the terminal (development)")
    smtp_from: str = setting("scim-server@localhost", group=_EMAIL, meaning="sender address")
    smtp_timeout_seconds: float = setting(30.0, group=_EMAIL, meaning="SMTP socket timeout")
    outbox_max_attempts: int = setting(
        8, group=_EMAIL, meaning="delivery attempts before an email is `dead`")
    outbox_backoff_seconds: float = setting(
        30.0, group=_EMAIL, meaning="first retry delay; doubles on each failure")
    outbox_backoff_max_seconds: float = setting(
        3600.0, group=_EMAIL, meaning="longest retry delay")
    outbox_lease_seconds: float = setting(
        300.0, group=_EMAIL, meaning="how long a worker's claim on an email lasts")
    outbox_batch_size: int = setting(20, group=_EMAIL, meaning="emails claimed per batch")
    outbox_poll_seconds: float = setting(
        5.0, group=_EMAIL, meaning="pause of `outbox send` when nothing is due")
    health_recording: bool = setting(
        True, group=_OPS, meaning="record per-directory request counts and failures "
        "(docs/health.md)")
    health_flush_seconds: float = setting(
        5.0, group=_OPS, meaning="how often a worker writes its buffered health counts")
    health_flush_count: int = setting(
        1000, group=_OPS, meaning="buffered requests that trigger an early health flush")
    worker_erase_every_seconds: float = setting(
        600.0, group=_WORKER, meaning="`scim-server worker`: how often due erasures run")
    worker_expiry_warnings_every_seconds: float = setting(
        3600.0, group=_WORKER, meaning="how often credential expiry warnings are queued")
    worker_statistics_every_seconds: float = setting(
        60.0, group=_WORKER, meaning="how often tables that grew are analyzed (cheap when "
        "nothing grew)")
    worker_retention_every_seconds: float = setting(
        3600.0, group=_WORKER, meaning="how often records past their retention are deleted")
    outbox_retention_sent_days: int = setting(
        30, group=_WORKER, meaning="days sent emails are kept (0: forever)")
    outbox_retention_dead_days: int = setting(
        90, group=_WORKER, meaning="days dead emails are kept (0: forever)")
    audit_retention_days: int = setting(
        0, group=_WORKER, meaning="days audit events are kept (0: forever)")
    secret_key: str | None = setting(
        None, group=_KEYS, secret=True, shown="unset (one random key kept in the database)",
        meaning="signs console and page cookies; set the same value on every host, or leave "
        "it unset and every worker reads the one the database keeps")
    console_link_minutes: int = setting(
        15, group=_KEYS, meaning="minutes an emailed console sign-in link works (once)")
    console_idle_minutes: int = setting(
        30, group=_KEYS, meaning="a console session ends after this long without a request")
    console_session_hours: int = setting(
        12, group=_KEYS, meaning="a console session ends this long after sign-in, whatever")
    testing: bool = setting(False, group=_OPS, env=False, meaning="set by the test suite")

    @classmethod
    def from_env(cls, **overrides: Any) -> "Config":
        """Read `SCIM_*` variables; explicit overrides win (used by tests and the CLI)."""
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = os.environ.get(env_name(item))
            if item.name in overrides or not item.metadata.get("env", True) or not raw:
                continue
            value = parse_value(hints[item.name], raw, env_name(item))
            normalize = item.metadata.get("normalize")
            values[item.name] = normalize(value) if normalize else value
        values.update(overrides)
        return cls(**values)


def env_name(item: Field[Any]) -> str:
    return ENV_PREFIX + item.name.upper()


def parse_value(hint: Any, raw: str, name: str) -> Any:
    """Turn one variable's text into the field's type; a bad value names the variable."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return parse_value(args[0], raw, name)
    if typing.get_origin(hint) is tuple:
        items = [item.strip() for item in raw.split(",") if item.strip()]
        return tuple(parse_value(args[0], item, name) for item in items)
    if hint is bool:
        return raw.strip().lower() in TRUE_WORDS
    try:
        return hint(raw.strip()) if hint in (int, float) else hint(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a valid {hint.__name__}") from None
