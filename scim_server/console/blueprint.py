"""The console blueprint: URLs under `/console/`, sign-in checks, roles and CSRF.

A page under `/console/orgs/<org_id>/` is declared with `org_page(rule, area=...)`. The
organization in the URL must be the signed-in admin's own; any other id answers 404,
exactly like one that does not exist. `area` says who may open the page: org admins open
every area, user-access admins only `USER_ACCESS_AREAS`. Every POST must carry the form's
CSRF token (Flask-WTF).
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, cast

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import NotFound

from .. import browser, db
from ..services import console_auth
from . import sessions

bp = Blueprint("console", __name__, url_prefix="/console")
browser.protect_forms(bp)
ORG = "/orgs/<org_id>"
USER_ACCESS_AREAS = frozenset({"users", "invitations", "requests"})


class SignInRequired(Exception):
    """No admin is signed in: the error mapper sends the browser to the sign-in page."""


class RoleRefused(Exception):
    """The signed-in admin's role does not open this area."""

    def __init__(self, area: str):
        super().__init__(area)
        self.area = area


def may_open(role: str, area: str) -> bool:
    """Org admins open every area; user-access admins only users, invitations, requests."""
    return role == console_auth.ORG_ADMIN or area in USER_ACCESS_AREAS


def org_page(rule: str, *, area: str, methods: tuple[str, ...] = ("GET",)
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a page of the signed-in admin's organization, open to the roles of `area`."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            signed_in = sessions.current_admin()
            if signed_in is None:
                raise SignInRequired()
            if not may_open(signed_in.role, area):
                raise RoleRefused(area)
            return view(**kwargs)

        wrapper.console_area = area  # type: ignore[attr-defined]
        bp.add_url_rule(ORG + rule, endpoint=view.__name__, view_func=wrapper,
                        methods=list(methods))
        return wrapper

    return decorator


def org_id() -> str:
    return cast(str, g.console_org_id)


def commit() -> None:
    """The request owns the transaction: one commit after the service calls succeed."""
    db.session().commit()


@bp.url_value_preprocessor
def _bind_org(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    if not values or "org_id" not in values:
        return
    wanted = values.pop("org_id")
    signed_in = sessions.current_admin()
    if signed_in is None:
        raise SignInRequired()
    if signed_in.account.org_id != wanted:
        raise NotFound("There is no such organization in your console.")
    g.console_org_id = wanted


@bp.url_defaults
def _add_org(endpoint: str, values: dict[str, Any]) -> None:
    if "org_id" in values:
        return
    signed_in = g.get("console_admin")
    own = g.get("console_org_id") or (signed_in.account.org_id if signed_in else None)
    if own and current_app.url_map.is_endpoint_expecting(endpoint, "org_id"):
        values["org_id"] = own


@bp.after_request
def _page_headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    # Same-origin referrers let Flask-WTF's HTTPS referrer check see where a form came from.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.app_context_processor
def _console_context() -> dict[str, Any]:
    from .navigation import navigation

    if not request.path.startswith("/console"):
        return {}
    signed_in = g.get("console_admin")
    return {"signed_in": signed_in,
            "navigation": navigation(signed_in) if signed_in else [],
            "has_page": lambda endpoint: endpoint in current_app.view_functions,
            "org_name": _org_name(signed_in)}


def _org_name(signed_in: console_auth.SignedIn | None) -> str | None:
    from ..models import Organization

    if signed_in is None:
        return None
    org = db.session().get(Organization, signed_in.account.org_id)
    return org.name if org else None


def register(app: Flask) -> None:
    """Attach the console to the app: cookie session, CSRF, the blueprint, its pages."""
    browser.init_app(app)
    app.register_blueprint(bp)
