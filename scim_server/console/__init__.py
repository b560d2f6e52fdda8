"""The admin console: server-rendered pages at `/console/` over the admin API's services.

See docs/console.md for how a page is added: a module here, listed in `PAGES`.
"""
from __future__ import annotations

from flask import Flask

PAGES = ("errors", "input_guard", "sign_in", "users", "user_detail", "invite", "products", "groups",
         "inactive_users", "access_requests", "domains", "directories", "directory_tokens",
         "audit_log", "outbox")


def init_app(app: Flask) -> None:
    """Register the console; each module named in `PAGES` declares its routes on import."""
    from importlib import import_module

    from .blueprint import register

    for name in PAGES:
        import_module(f"{__name__}.{name}")
    register(app)
