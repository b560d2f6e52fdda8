"""App-level fallbacks for requests no blueprint claimed (unknown URLs, wrong methods)."""
from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .ops.input_gate import RejectedBody
from .scim.errors import ScimError, error_response


def register_error_handlers(app: Flask) -> None:
    """Unknown paths under `/scim/` answer with a SCIM error body, under `/admin/` with a
    problem document, under `/console/` with a console page."""

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
        if request.path.startswith("/console/"):
            from .console.errors import fallback_response as console_page

            return console_page(error)  # type: ignore[return-value]
        if request.path.startswith("/scim/"):
            detail = scim_path_hint(request.path) if error.code == 404 else None
            return error_response(ScimError(detail or error.description or error.name,
                                            status=error.code or 500))
        return error


SCIM_PREFIX = "/scim/v2/directories/"


def scim_path_hint(path: str) -> str | None:
    """For a SCIM path without its directory, the shape it should have (RFC 7644 §3.2)."""
    if path.startswith(SCIM_PREFIX):
        return None
    rest = path.removeprefix("/scim/v2").removeprefix("/scim").strip("/") or "Users"
    if rest.startswith("directories"):
        rest = "Users"
    return (f"no SCIM endpoint at {path}: SCIM paths name their directory, "
            f"{SCIM_PREFIX}{{directory_id}}/{rest} (`scim-server quickstart` prints the "
            f"SCIM URL; GET /admin/v1/orgs/{{org_id}}/directories lists them)")
