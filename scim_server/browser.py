"""What every page a browser opens shares: a signed cookie session and CSRF protection.

The cookie (`scim_session`) is Flask's signed session: HttpOnly, SameSite=Lax, Secure
when the request or the public URL is HTTPS. It is signed with `SCIM_SECRET_KEY`, or
else with one random key the database keeps for every worker, loaded on the first
browser request. Bearer-token APIs (`/scim/`, `/admin/`, operations) never open it.

CSRF (Flask-WTF) is not checked app-wide, because the JSON APIs authenticate with bearer
tokens; a blueprint of pages calls `protect_forms(bp)` and every POST it serves must
carry its form's `csrf_token`.
"""
from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError

from . import db
from .config import Config
from .services import console_auth

API_PATHS = ("/scim/", "/admin/", "/healthz", "/readyz", "/metrics")
csrf = CSRFProtect()


class KeyedSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, with a key shared through the database and dynamic Secure."""

    def get_signing_serializer(self, app: Flask) -> Any:
        if request.path.startswith(API_PATHS):
            return None  # bearer-token APIs never use a cookie session: no key, no query
        ensure_secret_key(app)
        return super().get_signing_serializer(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        config = cast(Config, app.config["SCIM"])
        return bool(request.is_secure or config.public_url.startswith("https://"))


def ensure_secret_key(app: Flask) -> None:
    """Load the signing key once per process; a database not ready yet is tried again later."""
    if app.secret_key:
        return
    config = cast(Config, app.config["SCIM"])
    if config.secret_key:
        app.secret_key = config.secret_key
        return
    try:
        db_session = db.new_session(app)
        try:
            key = console_auth.signing_key(db_session)
            db_session.commit()
        finally:
            db_session.close()
    except SQLAlchemyError:
        app.logger.warning("pages: the session key is not available yet (database?)")
        return
    app.secret_key = key


def init_app(app: Flask) -> None:
    """The cookie session and Flask-WTF, with CSRF checked only where a blueprint asks."""
    app.session_interface = KeyedSessionInterface()
    app.config.update(SESSION_COOKIE_NAME="scim_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", WTF_CSRF_CHECK_DEFAULT=False,
                      WTF_CSRF_TIME_LIMIT=None)
    csrf.init_app(app)


def protect_forms(blueprint: Blueprint) -> None:
    """Refuse (CSRFError, 400) any POST of `blueprint` without its form's CSRF token."""
    blueprint.before_request(csrf.protect)
