"""CSRF protection for the public forms: a signed double-submit token.

The first page a browser gets sets a random value in an HttpOnly, SameSite=Strict cookie
(`__Host-` prefixed over HTTPS, so no subdomain can plant one) and puts the same value,
with its HMAC, in each form. A POST is accepted only when the form's value matches the
cookie's and its signature holds (OWASP CSRF cheat sheet, "signed double-submit cookie").
Another site can make a browser send the cookie but can neither read it nor forge the
form field. The key is the app's `SECRET_KEY` when set; without one the check is a plain
double-submit, which still holds across workers.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, current_app, g, request

from ..services.errors import Forbidden

COOKIE = "request_access_csrf"
FIELD = "csrf_token"


class CsrfRejected(Forbidden):
    """The form did not come from a page this server rendered for this browser."""


def _cookie_name() -> str:
    return f"__Host-{COOKIE}" if request.is_secure else COOKIE


def _sign(value: str) -> str:
    key = current_app.secret_key or b"scim-server request-access csrf"
    key_bytes = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    return hmac.new(key_bytes, value.encode("utf-8"), hashlib.sha256).hexdigest()


def token() -> str:
    """The value to put in this page's forms (and, after the response, in the cookie)."""
    if "csrf_value" not in g:
        value = request.cookies.get(_cookie_name(), "")
        g.csrf_value = value if 20 <= len(value) <= 100 else secrets.token_urlsafe(32)
    return f"{g.csrf_value}.{_sign(g.csrf_value)}"


def set_cookie(response: Response) -> Response:
    """Send the cookie when this response rendered a form with a fresh value."""
    value = g.get("csrf_value")
    if value and request.cookies.get(_cookie_name()) != value:
        response.set_cookie(_cookie_name(), value, httponly=True, samesite="Strict",
                            secure=request.is_secure, path="/")
    return response


def verify() -> None:
    """Raise `CsrfRejected` unless the form's token matches the cookie and its signature."""
    sent = request.form.get(FIELD, "")
    value, _, signature = sent.partition(".")
    cookie = request.cookies.get(_cookie_name(), "")
    if not (value and cookie and hmac.compare_digest(value, cookie)
            and hmac.compare_digest(signature, _sign(value))):
        raise CsrfRejected("the form expired or came from another site")
