"""Access requests: one list across sites, newest first; "Review" with "Approve" (a role),
"Deny access" (a message) and "Reopen"; the "User interests" tab.

Every read and decision calls what the admin API's `access-requests` endpoints call:
`requests_query` for the list, `request_review.request_documents` for what the admin
sees, `approve` / `deny` / `reopen` for decisions and `user_interests.interests` for the
tab. A refusal (the identity provider deprovisioned the person, the seat limit, an
unconfirmed address) comes back to the review page as a message saying what would
change it; nothing was decided.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import db
from ..models import AccessRequest, Product
from ..services import access_requests as service
from ..services.errors import Refusal
from ..services.licences import SeatLimitExceeded
from ..services.request_review import request_documents
from ..services.user_interests import WINDOWS, interests
from .blueprint import commit, org_id, org_page
from .forms import ActionForm, choices
from .paging import newest_first
from .sessions import actor

REQUEST = "/access-requests/<request_id>"
STATUS_WORDS = {"pending": "Pending", "approved": "Approved", "denied": "Denied", "all": "All"}
SOURCE_WORDS = {"requester": "The request page", "signup": "Sign-up", "product": "The product",
                "admin": "An administrator"}
ROLE_WORDS = {"user": "User", "admin": "Admin"}


class ApproveForm(FlaskForm):
    role = SelectField("Role", validators=[DataRequired()])
    submit = SubmitField("Approve")


class DenyForm(FlaskForm):
    message = TextAreaField("Message to the person (required)", validators=[
        DataRequired("Write a message: the person sees it."), Length(max=2000)],
        description="Emailed to them, and shown if they ask again.")
    submit = SubmitField("Deny access")


@org_page("/access-requests", area="requests")
def access_requests() -> Any:
    session = db.session()
    status = request.args.get("status", "pending")
    if status not in STATUS_WORDS:
        status = "pending"
    stmt = service.requests_query(org_id(), None if status == "all" else status)
    page = newest_first(session, stmt, AccessRequest.created_at, AccessRequest.id,
                        request.args.get("cursor"))
    return render_template(
        "console/access_requests.html", title="Access requests", status=status,
        status_words=STATUS_WORDS, rows=request_documents(session, page.items),
        next_url=url_for("console.access_requests", status=status, cursor=page.next_cursor)
        if page.next_cursor else None,
        first_url=url_for("console.access_requests", status=status)
        if request.args.get("cursor") else None)


def _review(request_id: str, approve_form: ApproveForm | None = None,
            deny_form: DenyForm | None = None, status: int = 200) -> Any:
    session = db.session()
    found = service.get_request(session, org_id(), request_id)
    [doc] = request_documents(session, [found])
    product = session.get_one(Product, found.product_id)
    approve_form = approve_form or ApproveForm(formdata=None, role=product.default_role)
    approve_form.role.choices = _roles(product)
    names = dict(session.execute(select(Product.id, Product.name)
                                 .where(Product.org_id == org_id())).all())
    return render_template(
        "console/access_request.html", title=f"Access request for {product.name}", doc=doc,
        approve=approve_form, deny=deny_form or DenyForm(formdata=None), action=ActionForm(),
        names=names, source_words=SOURCE_WORDS, role_words=ROLE_WORDS), status


def _roles(product: Product) -> list[Any]:
    return choices((r, ROLE_WORDS.get(r, r)) for r in (product.roles or []))


@org_page(REQUEST, area="requests")
def access_request_review(request_id: str) -> Any:
    return _review(request_id)


def _back(request_id: str) -> Response:
    return redirect(url_for("console.access_request_review", request_id=request_id))


def _refused(error: Exception, request_id: str) -> Response:
    """Say why nothing was decided, on the review page; the transaction is undone."""
    db.session().rollback()
    if isinstance(error, Refusal):
        flash(f"Not approved: {error.title}. {str(error)[:1].upper()}{str(error)[1:]}.",
              "error")
    else:
        flash(f"Not approved: seat limit reached. {error} (Free a seat on Inactive users or "
              "raise the product's seat limit.)", "error")
    return _back(request_id)


@org_page(REQUEST + "/approve", area="requests", methods=("POST",))
def access_request_approve(request_id: str) -> Any:
    session = db.session()
    found = service.get_request(session, org_id(), request_id)
    product = session.get_one(Product, found.product_id)
    form = ApproveForm()
    form.role.choices = _roles(product)
    if not form.validate_on_submit():
        return _review(request_id, approve_form=form, status=422)
    # The product's default role is what approving without a role gives (as from the email).
    role = None if form.role.data == product.default_role else form.role.data
    try:
        decided = service.approve(session, org_id(), request_id, actor(), role)
    except (Refusal, SeatLimitExceeded) as exc:
        return _refused(exc, request_id)
    commit()
    flash(f"Approved: {product.name} ({ROLE_WORDS.get(decided.role or '', decided.role)}) "
          "granted; the person was emailed.", "notice")
    return _back(request_id)


@org_page(REQUEST + "/deny", area="requests", methods=("POST",))
def access_request_deny(request_id: str) -> Any:
    session = db.session()
    service.get_request(session, org_id(), request_id)
    form = DenyForm()
    if not form.validate_on_submit() or not (form.message.data or "").strip():
        if not form.errors:
            form.message.errors = ["Write a message: the person sees it."]
        return _review(request_id, deny_form=form, status=422)
    service.deny(session, org_id(), request_id, actor(), (form.message.data or "").strip())
    commit()
    flash("Access denied; the person was emailed your message. They cannot ask again until "
          "you reopen the request.", "notice")
    return _back(request_id)


@org_page(REQUEST + "/reopen", area="requests", methods=("POST",))
def access_request_reopen(request_id: str) -> Response:
    service.reopen(db.session(), org_id(), request_id, actor())
    commit()
    flash("Reopened: the person may ask again.", "notice")
    return _back(request_id)


@org_page("/user-interests", area="requests")
def user_interests() -> Any:
    window = request.args.get("window", "30d")
    if window not in WINDOWS:
        window = "30d"
    found = interests(db.session(), org_id(), window)
    return render_template("console/user_interests.html", title="User interests",
                           window=window, windows=WINDOWS, found=found)
