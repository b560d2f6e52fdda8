"""The one error mapper of the console: every failure becomes a page that says what to do.

Domain errors from the services keep their message (it names the thing and the rule) and
gain a next step; a refused CSRF token, a role that does not open the page, an unknown
URL, a busy database and any unexpected failure each get their own page. Nothing
rolls forward: the request's transaction is rolled back before the page renders.
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from .. import db
from ..services import errors as domain
from ..services.console_auth import SignInLinkUnusable
from ..services.licences import SeatLimitExceeded
from ..services.org_accounts import ManagedByDirectory
from .blueprint import RoleRefused, SignInRequired, bp

NEXT_STEPS: list[tuple[type[domain.DomainError], int, str, str]] = [
    (SeatLimitExceeded, 409, "Seat limit reached",
     "Free a seat first (remove access from someone, or deactivate people who no longer "
     "use the product on Inactive users), or raise the product's seat limit, then try "
     "again."),
    (ManagedByDirectory, 409, "Managed by your identity provider",
     "Make this change in the identity provider that manages it; it syncs here on its "
     "next push."),
    (SignInLinkUnusable, 410, "This sign-in link cannot be used",
     "Ask for a new sign-in link on the sign-in page."),
    (domain.NotFound, 404, "Not found",
     "It may have been removed, or the link belongs to another organization. Go back to "
     "Users and look it up again."),
    (domain.Conflict, 409, "That clashes with the current state",
     "Reload the page to see the current state, then try again."),
    (domain.InvalidInput, 422, "That cannot be done as asked",
     "Go back, correct the form, and send it again."),
    (domain.VersionMismatch, 409, "Someone changed this first",
     "Reload the page to see their change, then try again."),
    (domain.Forbidden, 403, "Not allowed", "Ask an organization admin to do this."),
    (domain.LimitExceeded, 409, "Limit reached", "Stay within the limit and try again."),
]


def error_page(status: int, title: str, detail: str, next_step: str, **extra: Any
               ) -> tuple[str, int]:
    """Render the error page; the transaction of the request is rolled back first."""
    db.session().rollback()
    return render_template("console/error.html", status=status, title=title, detail=detail,
                           next_step=next_step, **extra), status


def from_domain(error: domain.DomainError) -> tuple[str, int]:
    for kind, status, title, step in NEXT_STEPS:
        if isinstance(error, kind):
            extra = {"sign_in_again": True} if isinstance(error, SignInLinkUnusable) else {}
            return error_page(status, title, str(error), step, **extra)
    return error_page(400, "That cannot be done", str(error), "Go back and try again.")


def from_http(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    if status == 404:
        return error_page(404, "Page not found", error.description or "",
                          "Check the address, or start again from Users.")
    if status == 405:
        return error_page(405, "That page does not take this kind of request",
                          "The address was opened in a way it does not support.",
                          "Start again from the navigation.")
    return error_page(status, error.name, error.description or "", "Go back and try again.")


@bp.errorhandler(SignInRequired)
def _sign_in_required(_error: SignInRequired) -> Response:
    db.session().rollback()
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("console.login", next=target,
                            ended="1" if g.get("console_session_ended") else None))


@bp.errorhandler(RoleRefused)
def _role_refused(_error: RoleRefused) -> tuple[str, int]:
    return error_page(403, "Only organization admins can open this page",
                      "You are a user-access admin: you manage users, invitations and "
                      "access requests.",
                      "Ask an organization admin if you need this page.")


@bp.errorhandler(CSRFError)
def _csrf(_error: CSRFError) -> tuple[str, int]:
    return error_page(400, "This form has expired",
                      "The form was open too long, came from another site, or your "
                      "session changed since it was shown.",
                      "Go back, reload the page, and send the form again.")


@bp.errorhandler(domain.DomainError)
def _domain(error: domain.DomainError) -> tuple[str, int]:
    return from_domain(error)


@bp.errorhandler(IntegrityError)
def _integrity(_error: IntegrityError) -> tuple[str, int]:
    return error_page(409, "Someone changed this at the same time",
                      "A concurrent change already created or removed this.",
                      "Reload the page and try again.")


@bp.errorhandler(OperationalError)
def _operational(error: OperationalError) -> tuple[str, int]:
    current_app.logger.warning("console: database unavailable: %s", type(error.orig).__name__)
    return error_page(503, "The service is busy", "The database did not answer in time.",
                      "Wait a moment and try again.")


@bp.errorhandler(HTTPException)
def _http(error: HTTPException) -> tuple[str, int]:
    return from_http(error)


@bp.errorhandler(Exception)
def _unexpected(_error: Exception) -> tuple[str, int]:
    current_app.logger.exception("unhandled error in the console")
    return error_page(500, "Something went wrong on our side",
                      "The change was not made.", "Try again; if it keeps failing, tell "
                      "whoever runs this server.")


def fallback_response(error: HTTPException) -> tuple[str, int]:
    """For URLs under `/console/` that no page claimed (the app-level handler calls it)."""
    return from_http(error)


def status_page(status: int, detail: str) -> Response:
    """A console page for an answer given before any view ran (429 from the rate limiter)."""
    if status == 429:
        html, code = error_page(429, "Too many attempts", detail,
                                "Wait a minute, then try again.")
    else:
        html, code = error_page(status, "That did not work", detail, "Try again.")
    return current_app.response_class(html, status=code, mimetype="text/html")
