"""Rendering the public pages: one stylesheet, no scripts, strict security headers."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, render_template

from ..services.email_addresses import EMAIL_LENGTH
from . import csrf


def secure(response: Response) -> Response:
    """Nothing loads from elsewhere, nothing frames the page, no Referer carries a token."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def form_text(value: str, limit: int) -> str:
    """A typed text as the database can keep it: no NUL or other control characters
    (PostgreSQL text refuses NUL) except line breaks and tabs, at most `limit` long."""
    kept = "".join(c for c in value if c.isprintable() or c in "\n\t")
    return kept.strip()[:limit]


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Render `pages/<template>` with the CSRF field value every form needs (and the
    longest address the server keeps, for an email field's `maxlength`)."""
    html = render_template(f"pages/{template}", csrf_field=csrf.FIELD, csrf_token=csrf.token,
                           email_length=EMAIL_LENGTH, **context)
    response = current_app.response_class(html, status=status, mimetype="text/html")
    return secure(csrf.set_cookie(response))
