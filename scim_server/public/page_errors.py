"""The one error mapper of the public pages: every failure becomes a page saying what to do.

Domain errors arrive with an admin's wording (they also feed the admin API); here each
refusal `reason` gets words for the person in front of the page. Views put the names
they know (`org_name`, `product_name`) in `g.page` so the words can use them; pages for
administrators (`audience: admin`) show the domain's own wording, which is theirs.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .. import db
from ..services import errors as domain
from ..services.emailed_links import LinkUnusable
from .csrf import CsrfRejected
from .page_render import page

LINK_STATUS = {"invalid": 404, "foreign": 404, "used": 409, "expired": 410}


def _words(reason: str, names: dict[str, str]) -> tuple[str, str]:
    """(title, what to do) for a refusal, in the person's terms."""
    org, product = names.get("org_name", "the organization"), names.get("product_name",
                                                                         "this product")
    words = {
        "deprovisioned-by-identity-provider": (
            "Contact your IT team",
            f"Your account in {org} is managed by your company's identity provider, which "
            "removed your access. Only your IT team can give it back there; an administrator "
            f"here cannot. No request was sent."),
        "request-denied": (
            "Your request was denied",
            f"An administrator of {org} denied your request for {product}. You cannot ask "
            "again until an administrator reopens your request."),
        "deactivated-may-not-request": (
            "Your account is deactivated",
            f"{org} does not take access requests from deactivated accounts. Contact an "
            f"administrator of {org}, who can reactivate you. No request was sent."),
        "account-pending-deletion": (
            "Your account is being deleted",
            f"Your account in {org} is scheduled for deletion. Contact an administrator of "
            f"{org} if you need it back. No request was sent."),
        "removed-from-site": (
            "You were removed from the site",
            f"Ask an administrator of {org} to add you back to the site of {product}; then "
            "you can ask for it. No request was sent."),
        "already-has-access": (
            "You already have access",
            f"Your account already has access to {product}. Sign in to the product."),
        "no-account": (
            "No account for this address",
            f"There is no account for this email address in {org}. Ask an administrator of "
            f"{org} to invite you to {product}."),
    }
    return words.get(reason, ("This is not possible", ""))


def _link_words(error: LinkUnusable) -> tuple[str, str]:
    return {
        "invalid": ("Link not valid", "Check that you copied all of the link from the email, "
                    "or start again."),
        "foreign": ("Link not valid here", "This link belongs to another request. Open the "
                    "link from the email again."),
        "used": ("Link already used", "Each emailed link works once. If you need another, "
                 "start again."),
        "expired": ("Link expired", "This link is too old to use. Start again to get a new "
                    "one."),
    }[error.reason]


def problem_page(status: int, title: str, detail: str, **extra: Any) -> Response:
    names = dict(g.get("page", {}))
    return page("problem.html", status, title=title, detail=detail, **{**names, **extra})


def register_page_errors(blueprint: Blueprint) -> None:
    """Route every failure of `blueprint` through one page shape."""

    @blueprint.errorhandler(domain.DomainError)
    def _domain(error: domain.DomainError) -> Response:
        db.session().rollback()
        if isinstance(error, LinkUnusable):
            title, detail = _link_words(error)
            if g.get("page", {}).get("audience") == "admin" and error.reason != "invalid":
                detail = (f"{error} Review the request in the admin console or through the "
                          "admin API instead.")
            return problem_page(LINK_STATUS[error.reason], title, detail, reason=error.reason)
        if isinstance(error, CsrfRejected):
            return problem_page(403, "Form expired", "This form expired or came from "
                                "another site. Go back, reload the page and try again.",
                                reason="csrf")
        if isinstance(error, domain.Refusal):
            names = g.get("page", {})
            title, detail = ((error.title, str(error)) if names.get("audience") == "admin"
                             else _words(error.reason, names))
            status = 409 if isinstance(error, domain.Conflict) else 403
            return problem_page(status, title, detail or str(error), reason=error.reason,
                                admin_message=error.admin_message)
        if isinstance(error, domain.NotFound):
            return problem_page(404, "Not found", "This page names something that does not "
                                "exist. Check the link you followed.", reason="not-found")
        if isinstance(error, domain.InvalidInput):
            return problem_page(422, "Check what you entered", str(error), reason="invalid")
        return problem_page(409, "This is not possible", str(error), reason="conflict")

    @blueprint.errorhandler(OperationalError)
    def _unavailable(_error: OperationalError) -> Response:
        db.session().rollback()
        response = problem_page(503, "Try again in a moment", "The service is busy. Reload "
                                "the page in a moment.", reason="unavailable")
        response.headers["Retry-After"] = "1"
        return response

    @blueprint.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        return problem_page(status, error.name, error.description or "", reason="http")

    @blueprint.errorhandler(Exception)
    def _unexpected(_error: Exception) -> Response:
        current_app.logger.exception("unhandled error on a public page")
        db.session().rollback()
        return problem_page(500, "Something went wrong", "Reload the page; if it keeps "
                            "happening, tell an administrator.", reason="internal")
