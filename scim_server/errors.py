"""App-level fallbacks for requests no blueprint claimed (unknown URLs, wrong methods)."""
from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .ops.input_gate import RejectedBody
from .scim.errors import ScimError, error_response


def register_error_handlers(app: Flask) -> None:
    """Unknown paths under `/scim/` answer with a SCIM error body, under `/admin/` with a
    problem document."""

    @app.errorhandler(RejectedBody)
    def _rejected(error: RejectedBody) -> Response:
        """A body the input gate refused on a blueprint without its own mapper (`/signup`,
        `/invitations/accept`): a problem document, as those JSON APIs answer."""
        from .admin.errors import from_rejected_body, problem_response

        return problem_response(from_rejected_body(error))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response | HTTPException:
        if request.path.startswith("/admin/"):
            from .admin.errors import fallback_response

            return fallback_response(error)
        if request.path.startswith("/scim/"):
            return error_response(ScimError(error.description or error.name,
                                            status=error.code or 500))
        return error
