"""Signing in and out: `GET /console/login` emails a one-time link; its page signs in.

Asking for a link answers the same whether or not the address belongs to an admin, so
the form tells nobody who the admins are. Opening the emailed link (a GET, which mail
scanners also do) changes nothing: it shows a "Sign in" button, and the POST spends the
link and starts a fresh session.
"""
from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import db
from ..config import Config
from ..services import console_auth
from .blueprint import bp, commit
from .forms import ActionForm, SignInForm, SignInRequestForm
from .sessions import current_admin, sign_in, sign_out


def sign_in_url(token: str) -> str:
    """The link emailed to an admin (and printed by `scim-server console-link`)."""
    config = cast(Config, current_app.config["SCIM"])
    return f"{config.public_url}/console/sign-in?token={token}"


def home_url() -> str:
    signed_in = current_admin()
    assert signed_in is not None
    return url_for("console.users", org_id=signed_in.account.org_id)


def _safe_next(target: str | None) -> str | None:
    """Only a path of this console, never another site (open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/orgs/"):
        return None
    return target


@bp.get("/")
def index() -> Response:
    return redirect(home_url() if current_admin() else url_for("console.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Ask for a sign-in link by email address."""
    form = SignInRequestForm()
    if form.validate_on_submit():
        config = cast(Config, current_app.config["SCIM"])
        session = db.session()
        for account in console_auth.admin_accounts_for_email(session, form.email.data or ""):
            link, token = console_auth.issue_sign_in_link(session, account,
                                                          config.console_link_minutes)
            console_auth.email_sign_in_link(session, account, sign_in_url(token), token,
                                            config.console_link_minutes, link_id=link.id)
        commit()
        flash(f"If {form.email.data} belongs to an admin, a sign-in link is on its way. "
              f"It works once, for {config.console_link_minutes} minutes.", "notice")
        return redirect(url_for("console.login", sent="1"))
    if request.args.get("ended") and request.method == "GET":
        flash("Your session has ended. Sign in again.", "notice")
    status = 422 if form.errors else 200
    return render_template("console/login.html", form=form, title="Sign in"), status


@bp.get("/sign-in")
def sign_in_page() -> Any:
    """The emailed link: shows a "Sign in" button; a GET never signs in."""
    token = request.args.get("token", "")
    link = console_auth.check_sign_in_link(db.session(), token)
    form = SignInForm(token=token)
    return render_template("console/sign_in.html", form=form, title="Sign in",
                           link=link, next=_safe_next(request.args.get("next")))


@bp.post("/sign-in")
def sign_in_submit() -> Response:
    """Spend the link once and start a new session (new cookie, new CSRF token)."""
    form = SignInForm()
    if not form.validate_on_submit():
        raise console_auth.SignInLinkUnusable("unknown", "The sign-in form was incomplete.")
    session = db.session()
    account = console_auth.spend_sign_in_link(session, form.token.data or "")
    sign_in(account)
    commit()
    flash(f"Signed in as {account.email}.", "notice")
    return redirect(_safe_next(request.args.get("next")) or home_url())


@bp.post("/logout")
def logout() -> Response:
    ActionForm()  # the CSRF token was checked before the view ran
    sign_out()
    commit()
    flash("You signed out.", "notice")
    return redirect(url_for("console.login"))
