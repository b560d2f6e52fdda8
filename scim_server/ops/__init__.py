"""Operations: health, readiness, metrics, request logs, rate limits, security headers."""
from __future__ import annotations

from flask import Flask


def register_operations(app: Flask) -> None:
    """Install the hooks every request passes through, in the order they must run.

    Before the view: request id and timer, then a CORS preflight answer, then the rate
    limit, all ahead of any blueprint's authentication; last the input gate (body depth).
    After it (Flask runs these in reverse): security headers and error-body redaction, then the log line and metrics.
    """
    from . import input_gate, rate_limit, redaction, request_log, security

    config = app.config["SCIM"]
    redaction.register_secret(config.metrics_token)
    request_log.init_app(app, config.log_level)
    security.init_app(app, config)
    rate_limit.init_app(app, config)
    input_gate.init_app(app)
