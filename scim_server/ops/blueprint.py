"""`/healthz`, `/readyz` and `/metrics`: what load balancers, orchestrators and Prometheus poll."""
from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import db, migrate
from . import metrics
from .responses import problem_response

bp = Blueprint("ops", __name__)
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-Ip", "Forwarded")


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up; says nothing about its dependencies on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database answers and is not behind the migrations this code needs.

    A database *ahead* of this code is ready: during a rolling upgrade the new version
    migrates first (expand/contract), and the old instances must stay in the pool.
    """
    engine = db.engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        state = migrate.schema_state(engine)
    except SQLAlchemyError as exc:
        current_app.logger.warning("readiness: database unreachable: %s", type(exc).__name__)
        return jsonify(status="unavailable", database="unreachable"), 503
    if state is migrate.SchemaState.BEHIND:
        return jsonify(status="unavailable", database="migrations pending"), 503
    return jsonify(status="ok", database="ok", schema=state.value), 200


@bp.get("/metrics")
def metrics_endpoint() -> Response:
    """Prometheus exposition, for the holder of `SCIM_METRICS_TOKEN` only.

    Without that setting the endpoint answers loopback callers only, and not requests a
    proxy forwarded: a proxy on the same host would otherwise make everyone loopback.
    A SCIM token or an admin key never opens it: metrics span every tenant.
    """
    refusal = _metrics_refusal()
    if refusal is not None:
        return refusal
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    body, content_type = metrics.render(app)
    return Response(body, content_type=content_type)


def _metrics_refusal() -> Response | None:
    expected = current_app.config["SCIM"].metrics_token
    if expected:
        scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
                offered.strip().encode("utf-8"), expected.encode("utf-8")):
            return None
        return problem_response(401, "send the metrics token: Authorization: Bearer <token>",
                                {"WWW-Authenticate": 'Bearer realm="metrics"'})
    if _is_loopback(request.remote_addr) and not any(h in request.headers
                                                     for h in FORWARDING_HEADERS):
        return None
    return problem_response(403, "metrics are served to loopback callers only; set "
                                 "SCIM_METRICS_TOKEN to scrape from elsewhere")


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False
