"""The SCIM 2.0 blueprint: one per server, tenanted by the directory in the URL."""
from __future__ import annotations

from flask import Blueprint, Response, g
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from . import context
from .errors import register_error_handlers

bp = Blueprint("scim", __name__, url_prefix="/scim/v2/directories/<directory_id>")


@bp.url_value_preprocessor
def _bind_directory(_endpoint: str | None, values: dict | None) -> None:
    directory_id = (values or {}).pop("directory_id", "")
    g.scim_directory_id = directory_id
    context.authenticate(directory_id)


@bp.after_request
def _persist_token_use(response: Response) -> Response:
    """Reads keep a token's last-used time fresh without a write on every request."""
    if g.pop("scim_token_touched", False) and response.status_code < 400:
        session = db.session()
        try:
            session.commit()
        except SQLAlchemyError:  # best effort: a busy database must not fail a good read
            session.rollback()
    return response


register_error_handlers(bp)

from . import discovery, groups, search, users  # noqa: E402,F401  (routes register on import)
