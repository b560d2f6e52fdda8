"""App-level fallbacks for requests no blueprint claimed (unknown URLs, wrong methods)."""
from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .scim.errors import ScimError, error_response


def register_error_handlers(app: Flask) -> None:
    """Unknown paths under `/scim/` answer with a SCIM error body, under `/admin/` with a
    problem document, under `/console/` with a console page."""

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response | HTTPException:
        if request.path.startswith("/admin/"):
            from .admin.errors import fallback_response

            return fallback_response(error)
        if request.path.startswith("/console/"):
            from .console.errors import fallback_response as console_page

            return console_page(error)  # type: ignore[return-value]
        if request.path.startswith("/scim/"):
            return error_response(ScimError(error.description or error.name,
                                            status=error.code or 500))
        return error
