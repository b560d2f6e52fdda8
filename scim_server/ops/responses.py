"""Error bodies for answers the operations layer gives before or beside any blueprint.

On `/scim/` paths clients expect a SCIM Error (RFC 7644 §3.12); everywhere else the
admin API's RFC 9457 problem document, so scripts see one shape.
"""
from __future__ import annotations

from flask import Response, request

from ..admin.errors import Problem
from ..admin.errors import problem_response as render_problem
from ..scim.errors import ScimError, error_response


def is_scim_path(path: str | None = None) -> bool:
    return (path if path is not None else request.path).startswith("/scim/")


def is_admin_path(path: str | None = None) -> bool:
    return (path if path is not None else request.path).startswith("/admin/")


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None,
                     slug: str | None = None) -> Response:
    """An RFC 9457 problem document (`about:blank` unless a slug names the problem)."""
    return render_problem(Problem(status, detail, slug=slug, headers=headers))


def error_for_path(status: int, detail: str, headers: dict[str, str] | None = None,
                   slug: str | None = None) -> Response:
    """A SCIM Error on `/scim/` paths, a console page on `/console/`, a problem document
    elsewhere."""
    if request.path.startswith("/console/"):
        from ..console.errors import status_page

        response = status_page(status, detail)
        response.headers.update(headers or {})
        return response
    if is_scim_path():
        response = error_response(ScimError(detail, status=status))
        response.headers.update(headers or {})
        return response
    return problem_response(status, detail, headers, slug)
