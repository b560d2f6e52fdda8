"""`/request-access?product=`: a person confirms an address by email, then asks.

Pages only (no JavaScript). Every answer to the first form is "check your email", so the
page reveals nothing about which addresses have accounts. Opening the emailed link shows
where the person stands and a "Request access" form; only its POST spends the link and
files the request. Every refusal leaves through the one page error mapper.
"""
from __future__ import annotations

from typing import cast

from flask import Blueprint, Response, current_app, g, request
from marshmallow import ValidationError, validate

from .. import db
from ..config import Config
from ..services import emailed_links, requester
from ..services.email_addresses import email_too_long, folds_onto_another_domain
from ..services.emailed_links import LinkUnusable
from ..services.request_notices import org_name
from . import csrf
from .page_errors import register_page_errors
from .page_render import form_text, page

bp = Blueprint("requester_pages", __name__)
register_page_errors(bp)
REASON_MAX = 2000
ENTER_AN_ADDRESS = "Enter an email address, like name@example.com."
_email = validate.Email(error=ENTER_AN_ADDRESS)


def _address_error(email: str) -> str | None:
    """What is wrong with the address, in words for its field: too long for the server
    to keep, a domain that folds onto another (the rules every entry shares), or not an
    address at all."""
    try:
        _email(email)
    except ValidationError:
        return ENTER_AN_ADDRESS
    return email_too_long(email) or folds_onto_another_domain(email)


def _public_url() -> str:
    return str(cast(Config, current_app.config["SCIM"]).public_url)


def _names(product_id: str) -> dict[str, str]:
    """The product and organization names, for the page and for the error mapper's words."""
    session = db.session()
    product = requester.get_product(session, product_id)
    g.page = {"product_name": product.name, "org_name": org_name(session, product.org_id),
              "product_id": product.id}
    return dict(g.page)


def _link_names(token: str) -> dict[str, str]:
    if not token.strip():
        raise LinkUnusable("invalid")
    link = emailed_links.check(db.session(), token, requester.KIND)
    return _names(str(link.product_id))


@bp.get("/request-access")
def start() -> Response:
    """The address form, for the product named in `?product=`."""
    return page("request_access.html", state="start", **_names(request.args.get("product", "")))


@bp.post("/request-access")
def send_link() -> Response:
    """Email the confirmation link; the answer is the same for every address."""
    csrf.verify()
    names = _names(request.form.get("product", ""))
    email = request.form.get("email", "").strip()
    error = _address_error(email)
    if error is not None:
        return page("request_access.html", 422, state="start", email=email, error=error,
                    **names)
    session = db.session()
    requester.send_confirmation(session, names["product_id"], email, _public_url())
    session.commit()
    return page("request_access.html", state="check_email", email=email, **names)


@bp.get("/request-access/confirm")
def confirm() -> Response:
    """Show where the confirmed address stands; changes nothing (mail scanners open links)."""
    token = request.args.get("token", "")
    names = _link_names(token)
    standing = requester.standing(db.session(), token)
    return page("request_access.html", state=standing.state, token=token, email=standing.email,
                account_status=standing.account.status, **names)


@bp.post("/request-access/confirm")
def ask() -> Response:
    """Spend the link and file the request; the administrators are emailed."""
    csrf.verify()
    token = request.form.get("token", "")
    names = _link_names(token)
    reason = form_text(request.form.get("reason", ""), REASON_MAX) or None
    session = db.session()
    standing = requester.ask(session, token, reason, _public_url())
    session.commit()
    return page("request_access.html", state=standing.state, email=standing.email, **names)
