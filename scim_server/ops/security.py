"""Security headers on every response, closed CORS, strict bodies, trusted proxies only.

- Headers: `nosniff`, `no-referrer`, `DENY` framing, a Content-Security-Policy that lets
  a JSON response load nothing, `no-store` (API answers carry personal data), and HSTS
  when the public URL is https.
- CORS: no `Access-Control-Allow-Origin` at all unless `SCIM_CORS_ALLOWED_ORIGINS` names
  the origin; a preflight from such an origin is answered before authentication.
- Bodies: on `/scim/` and `/admin/` a request body must be JSON (RFC 7644 §3.1 names
  `application/scim+json` and `application/json`), else 415; the size limit is Flask's
  `MAX_CONTENT_LENGTH` (`SCIM_MAX_BODY_BYTES`).
- Error bodies pass through `redaction`, so no failure echoes a secret back.
- `X-Forwarded-*` change the client address, scheme and host only when
  `SCIM_TRUST_FORWARDED_HEADERS` is set (werkzeug's ProxyFix, one hop by default).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Config
from .redaction import redact
from .responses import error_for_path, is_admin_path, is_scim_path

JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HTML_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HSTS = "max-age=31536000; includeSubDomains"
SCIM_BODY_TYPES = frozenset({"application/scim+json", "application/json"})
CORS_ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
CORS_ALLOW_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match, X-Request-Id"
CORS_EXPOSE_HEADERS = "ETag, Location, Retry-After, X-Request-Id"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _config() -> Config:
    return current_app.config["SCIM"]  # type: ignore[no-any-return]


def add_security_headers(response: Response) -> Response:
    """Set the headers every response carries; a view that chose its own keeps them."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy",
                       HTML_CSP if response.mimetype == "text/html" else JSON_CSP)
    headers.setdefault("Cache-Control", "no-store")
    if _config().public_url.startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    origin = _allowed_origin()
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
        headers.add("Vary", "Origin")
    return response


def redact_error_body(response: Response) -> Response:
    """Remove secrets from a failure's body, whoever wrote it."""
    if response.status_code < 400 or response.is_streamed or response.direct_passthrough:
        return response
    text = response.get_data(as_text=True)
    cleaned = redact(text)
    if cleaned != text:
        response.set_data(cleaned)
    return response


def _allowed_origin() -> str | None:
    origin = request.headers.get("Origin")
    allowed = _config().cors_allowed_origins
    if not origin or not allowed:
        return None
    if origin in allowed:
        return origin
    return "*" if "*" in allowed else None


class _Preflight(HTTPException):
    """Carries a finished preflight answer past authentication (HTTPException with a response)."""


def answer_preflight(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """A CORS preflight from an allowed origin ends here; others go on and fail as usual."""
    if (request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers
            or _allowed_origin() is None):
        return
    response = current_app.response_class(status=204)
    response.headers["Access-Control-Allow-Methods"] = CORS_ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    raise _Preflight(response=response)


def require_json_body() -> Response | None:
    """415 for a body that is not JSON on the API paths (after authentication)."""
    if request.method not in BODY_METHODS or request.url_rule is None:
        return None
    scim, admin = is_scim_path(), is_admin_path()
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", "").lower()
    if not (scim or admin) or not has_body:
        return None
    mimetype = (request.mimetype or "").lower()
    if scim and mimetype in SCIM_BODY_TYPES:
        return None
    if admin and (mimetype == "application/json"
                  or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
        return None
    wanted = "application/scim+json or application/json" if scim else "application/json"
    return error_for_path(415, f"unsupported media type {mimetype or '(none)'}; send {wanted}",
                          slug="unsupported-media-type")


def init_app(app: Flask, config: Config) -> None:
    if config.trust_forwarded_headers:
        hops = config.forwarded_proxy_count
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    app.url_value_preprocessor(answer_preflight)
    app.before_request(require_json_body)
    app.after_request(redact_error_body)
    app.after_request(add_security_headers)
