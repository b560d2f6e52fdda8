"""Django settings of the peer, all from the environment.

- `PEER_DATABASE_URL`: `sqlite:////abs/path.sqlite3` or `postgresql://user@host:port/db`
  (the benchmark's own database URL forms);
- `PEER_TOKEN`: the one bearer token the middleware accepts;
- `PEER_NETLOC`: host:port for the `location` URLs django-scim2 renders.

SQLite runs in WAL mode with `synchronous=NORMAL` and `BEGIN IMMEDIATE` for writes, as
scim-server's connections do; PostgreSQL keeps its default `synchronous_commit=on`.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit


def _database(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parts.path[1:] or ":memory:",
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
                            "transaction_mode": "IMMEDIATE", "timeout": 30}}
    if parts.scheme.startswith("postgresql"):
        return {"ENGINE": "django.db.backends.postgresql", "NAME": parts.path.lstrip("/"),
                "USER": parts.username or "postgres", "PASSWORD": parts.password or "",
                "HOST": parts.hostname or "127.0.0.1", "PORT": str(parts.port or 5432),
                "CONN_MAX_AGE": None}
    raise ValueError(f"PEER_DATABASE_URL: unsupported scheme {parts.scheme!r}")


SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "bench-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "bench.peers.djangopeer.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth",
                  "django_scim", "bench.peers.djangopeer"]
AUTH_USER_MODEL = "djangopeer.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MIDDLEWARE = ["bench.peers.djangopeer.auth.BearerTokenMiddleware"]
DATABASES = {"default": _database(os.environ.get("PEER_DATABASE_URL", "sqlite:///:memory:"))}
LOGGING_CONFIG = None
SCIM_SERVICE_PROVIDER = {
    "NETLOC": os.environ.get("PEER_NETLOC", "127.0.0.1"),
    "SCHEME": "http",
    "AUTHENTICATION_SCHEMES": [{"type": "oauthbearertoken", "name": "Bearer token",
                                "description": "A static bearer token", "primary": True}],
    "GROUP_MODEL": "bench.peers.djangopeer.models.Group",
}
