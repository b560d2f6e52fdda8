"""`/healthz` and `/readyz`: what load balancers and orchestrators poll."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import db, migrate

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up; says nothing about its dependencies on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database answers and carries the migrations this code expects."""
    engine = db.engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.is_current(engine)
    except SQLAlchemyError as exc:
        current_app.logger.warning("readiness: database unreachable: %s", type(exc).__name__)
        return jsonify(status="unavailable", database="unreachable"), 503
    if not current:
        return jsonify(status="unavailable", database="migrations pending"), 503
    return jsonify(status="ok", database="ok"), 200
