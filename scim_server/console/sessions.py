"""The browser side of console sessions: the cookie session (`scim_server/browser.py`)
holds a session secret.

The cookie carries only the session secret and the CSRF token. The
server keeps the session itself (`console_sessions`, the secret hashed), so signing out
ends it everywhere and an idle or expired session stops working whatever the cookie says.
Signing in clears the cookie and issues a fresh secret and CSRF token, so a session
identifier planted before sign-in is worthless after it (session fixation).
"""
from __future__ import annotations

from datetime import timedelta
from typing import cast

from flask import current_app, g, session
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..config import Config
from ..models import Account
from ..services import console_auth
from ..services.actors import Actor

SESSION_KEY = "console_sid"


def limits() -> console_auth.SessionLimits:
    config = cast(Config, current_app.config["SCIM"])
    return console_auth.SessionLimits(idle=timedelta(minutes=config.console_idle_minutes),
                                      absolute=timedelta(hours=config.console_session_hours))


def current_admin() -> console_auth.SignedIn | None:
    """The signed-in admin of this request, looked up once."""
    if "console_admin" in g:
        return cast("console_auth.SignedIn | None", g.console_admin)
    secret = session.get(SESSION_KEY)
    signed_in = None
    if isinstance(secret, str) and secret:
        db_session = db.session()
        signed_in = console_auth.resume_session(db_session, secret, limits())
        if signed_in is None:
            session.pop(SESSION_KEY, None)
            g.console_session_ended = True
        elif signed_in.touch:
            try:
                console_auth.touch_session(db_session, signed_in.session_id)
                db_session.commit()
            except SQLAlchemyError:
                db_session.rollback()  # a busy database must not fail a page
    g.console_admin = signed_in
    return signed_in


def sign_in(account: Account) -> None:
    """Start a new session for `account` in a cleared cookie (new secret, new CSRF token)."""
    session.clear()
    secret = console_auth.start_session(db.session(), account, limits(),
                                        request_id=g.get("request_id"))
    session[SESSION_KEY] = secret
    g.pop("console_admin", None)


def sign_out() -> None:
    signed_in = current_admin()
    if signed_in is not None:
        console_auth.end_session(db.session(), signed_in.session_id)
    session.clear()
    g.console_admin = None


def actor() -> Actor:
    """The audit actor of a console action: the admin's own account."""
    signed_in = current_admin()
    if signed_in is None:
        raise RuntimeError("no admin is signed in")
    return Actor("account", signed_in.account.id, request_id=g.get("request_id"))
