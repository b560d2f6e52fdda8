"""The SCIM 2.0 blueprint: one per server, tenanted by the directory in the URL."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from .. import db
from ..ops import health_recorder
from ..services import tenancy
from . import context
from .errors import register_error_handlers

bp = Blueprint("scim", __name__, url_prefix="/scim/v2/directories/<directory_id>")


@bp.url_value_preprocessor
def _bind_directory(_endpoint: str | None, values: dict | None) -> None:
    directory_id = (values or {}).pop("directory_id", "")
    g.scim_directory_id = directory_id
    if request.url_rule is not None and request.url_rule.rule.endswith("/.search"):
        db.use_reader()  # a query sent as POST (RFC 7644 §3.4.3) takes no write lock
    context.authenticate(directory_id)


@bp.after_request
def _record_token_use(response: Response) -> Response:
    """Keep a token's last-used time fresh without making reads wait on writers.

    The write runs in its own short transaction after the view, so a read never holds or
    waits for the write lock; if the database is busy, this use simply goes unrecorded.
    """
    token_id = g.pop("scim_token_used", None)
    if token_id is not None and response.status_code < 400:
        resolution = context.config().token_last_used_resolution_seconds
        tenancy.record_token_use(current_app.extensions[db.EXTENSION_KEY][0], token_id,
                                 resolution_seconds=resolution)
    return response


@bp.after_request
def _record_health(response: Response) -> Response:
    """Count the request for provisioning health; keep it if it failed (docs/health.md)."""
    health_recorder.record(response)
    return response


register_error_handlers(bp)

from . import bulk, discovery, groups, search, users  # noqa: E402,F401  (routes register on import)
