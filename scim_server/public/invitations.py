"""The invitation link: `GET /invitations/accept?token=` shows a page, the POST accepts.

The token is the only credential, so no CSRF token is needed: a forged request would have
to carry it. A GET never changes anything (mail scanners open links). A token that is
used, revoked, superseded or expired gets its own answer and changes nothing. The page
loads nothing from anywhere, sends no Referer (the token is in its URL) and cannot be
framed. `POST` takes `{"token"}` as JSON (answering JSON, or a problem document) or a
form field (answering the page).
"""
from __future__ import annotations

import secrets as pysecrets
from typing import Any

from flask import Blueprint, Response, current_app, json, render_template, request
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from .. import db
from ..ops import input_gate
from ..models import Account, Organization, Product
from ..services import invitation_tokens as tokens
from ..services.invitation_status import invitation_status
from ..services.invitation_tokens import InvitationUnusable
from ..services.sites import landing_site

bp = Blueprint("public_invitations", __name__)
STATUS = {"invalid": 404, "used": 409, "inactive": 409, "revoked": 410, "superseded": 410,
          "expired": 410, "missing": 400, "malformed": 400, "unavailable": 503}
TITLES = {"invalid": "Invitation not found", "used": "Invitation already accepted",
          "inactive": "Account not active", "revoked": "Invitation withdrawn",
          "superseded": "Invitation replaced", "expired": "Invitation expired",
          "missing": "No invitation token", "malformed": "Malformed request",
          "unavailable": "Try again in a moment"}


def _headers(response: Response, nonce: str | None = None) -> Response:
    style = f"'nonce-{nonce}'" if nonce else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {style}; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(status: int, **context: Any) -> Response:
    nonce = pysecrets.token_urlsafe(16)
    html = render_template("invitations/accept.html", nonce=nonce, **context)
    return _headers(current_app.response_class(html, status=status, mimetype="text/html"),
                    nonce)


def _problem_page(reason: str, detail: str) -> Response:
    return _page(STATUS[reason], state="problem", reason=reason, title=TITLES[reason],
                 detail=detail)


def _problem_json(reason: str, detail: str) -> Response:
    body = {"type": f"/problems/invitation-{reason}", "title": TITLES[reason],
            "status": STATUS[reason], "detail": detail, "reason": reason}
    response = current_app.response_class(json.dumps(body), status=STATUS[reason],
                                          mimetype="application/problem+json")
    if reason == "unavailable":
        response.headers["Retry-After"] = "1"
    return _headers(response)


def _wants_json() -> bool:
    mimetype = (request.mimetype or "").lower()
    return mimetype == "application/json" or mimetype.endswith("+json")


def _details(invitation: Any) -> dict[str, Any]:
    session = db.session()
    org = session.get(Organization, invitation.org_id)
    account = session.get(Account, invitation.account_id)
    ids = [p["product_id"] for p in invitation.products or []]
    products = list(session.scalars(select(Product.name).where(Product.id.in_(ids)))) if ids else []
    site = landing_site(session, invitation.org_id, ids)
    return {"org_name": org.name if org else "", "email": account.email if account else "",
            "products": products, "site_url": site.url if site else None,
            "site_name": site.name if site else None,
            "expires_at": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")}


@bp.get("/invitations/accept")
def accept_page() -> Response:
    """Show the invitation with an accept button, or say why it cannot be accepted."""
    token = request.args.get("token", "")
    if not token.strip():
        return _problem_page("missing", "The link has no invitation token. Open the link "
                                        "from your invitation email again.")
    try:
        invitation = tokens.check_usable(db.session(), token)
    except InvitationUnusable as exc:
        return _problem_page(exc.reason, str(exc))
    return _page(200, state="ready", token=token, title="Accept your invitation",
                 **_details(invitation))


@bp.post("/invitations/accept")
def accept_invitation() -> Response:
    """Accept with `{"token"}`: the account gets site access; a bad token changes nothing."""
    as_json = _wants_json()
    problem = _problem_json if as_json else _problem_page
    if as_json:
        try:
            body = input_gate.loads(request.get_data(cache=True) or b"{}")
        except (ValueError, UnicodeDecodeError, input_gate.RejectedBody):
            return problem("malformed", "The body is not valid JSON.")
        token = body.get("token") if isinstance(body, dict) else None
    else:
        token = request.form.get("token")
    if not isinstance(token, str) or not token.strip():
        return problem("missing", "Give the invitation token: {\"token\": \"...\"}.")
    session = db.session()
    try:
        invitation = tokens.accept(session, token)
        details = _details(invitation)
        account = session.get(Account, invitation.account_id)
        status = invitation_status(session, account) if account else "no_site_access"
        session.commit()
    except InvitationUnusable as exc:
        session.rollback()
        return problem(exc.reason, str(exc))
    if not as_json:
        return _page(200, state="accepted", title=f"Welcome to {details['org_name']}",
                     **details)
    document = {"status": "accepted", "invitation_id": invitation.id,
                "account_id": invitation.account_id, "org_id": invitation.org_id,
                "invitation_status": status}
    return _headers(current_app.response_class(json.dumps(document), status=200,
                                               mimetype="application/json"))


@bp.errorhandler(input_gate.RejectedBody)
def _rejected_body(error: input_gate.RejectedBody) -> Response:
    """A JSON body the input gate refused (nested too deep), before the view ran."""
    return _problem_json("malformed", error.detail)


@bp.errorhandler(OperationalError)
def _database_unavailable(_error: OperationalError) -> Response:
    db.session().rollback()
    detail = "The service is busy. Please try again in a moment."
    return _problem_json("unavailable", detail) if _wants_json() else _problem_page(
        "unavailable", detail)
