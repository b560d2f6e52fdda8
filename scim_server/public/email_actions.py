"""`/access-requests/{id}?token=`: the request an admin was emailed, with one-click decisions.

The GET shows the request (requester, status, source, groups, last active, current
access, seats left, reason) with "Approve" (a role) and "Deny access" (a message); it
never decides, because mail scanners open links. Each decision is a POST carrying the
link's token and a CSRF token; the link then stops working. Refusals (the identity
provider's deprovisioning, a seat limit, an expired or foreign link) leave through the
one page error mapper.
"""
from __future__ import annotations

from flask import Blueprint, Response, g, request

from .. import db
from ..services import request_actions
from ..services.emailed_links import LinkUnusable
from ..services.request_notices import org_name
from . import csrf
from .page_errors import register_page_errors
from .page_render import form_text, page

bp = Blueprint("email_actions", __name__)
register_page_errors(bp)
MESSAGE_MAX = 2000


def _token(value: str) -> str:
    g.page = {"audience": "admin"}
    if not value.strip():
        raise LinkUnusable("invalid")
    return value


def _review_page(token: str, request_id: str, status: int = 200, **extra: object) -> Response:
    session = db.session()
    review = request_actions.open_review(session, token, request_id)
    document = review.document
    g.page.update(org_name=org_name(session, review.request.org_id),
                  product_name=document["product"]["name"])
    return page("review.html", status, review=review, doc=document, token=token,
                title=f"Access request for {document['product']['name']}", **g.page, **extra)


@bp.get("/access-requests/<request_id>")
def review(request_id: str) -> Response:
    """Show the request and its decisions; changes nothing."""
    return _review_page(_token(request.args.get("token", "")), request_id)


@bp.post("/access-requests/<request_id>/approve")
def approve(request_id: str) -> Response:
    """Approve with the chosen role (the product's default role grants nothing extra)."""
    csrf.verify()
    token = _token(request.form.get("token", ""))
    role = request.form.get("role", "").strip() or None
    session = db.session()
    review = request_actions.open_review(session, token, request_id)
    decided = request_actions.approve(session, token, request_id,
                                      None if role == review.default_role else role)
    session.commit()
    return page("decided.html", decision=decided.status, role=decided.role,
                product_name=review.document["product"]["name"],
                requester=review.document["account"]["email"],
                title="Request approved", org_name=org_name(session, decided.org_id))


@bp.post("/access-requests/<request_id>/deny")
def deny(request_id: str) -> Response:
    """Deny with the message the requester will see; a message is required."""
    csrf.verify()
    token = _token(request.form.get("token", ""))
    message = form_text(request.form.get("message", ""), MESSAGE_MAX)
    if not message:
        return _review_page(token, request_id, 422,
                            deny_error="Write a message: the person sees it.")
    session = db.session()
    review = request_actions.open_review(session, token, request_id)
    decided = request_actions.deny(session, token, request_id, message)
    session.commit()
    return page("decided.html", decision=decided.status, message=message,
                product_name=review.document["product"]["name"],
                requester=review.document["account"]["email"],
                title="Request denied", org_name=org_name(session, decided.org_id))
