"""One structured JSON log line per request, and a request id that ties everything together.

The request id comes from `X-Request-Id` when the caller (a proxy, an identity provider)
sends a usable one, else it is generated; it is echoed in the response, stored in
`flask.g.request_id` (the SCIM and admin sides put it on audit events) and written on
every log line emitted during the request. Every log line, ours or a library's, goes
through `redaction` before it is written.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

from . import metrics
from .redaction import RedactingFilter, redact

REQUEST_ID_HEADER = "X-Request-Id"
_USABLE_REQUEST_ID = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,99}")
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "<unmatched>"
request_logger = logging.getLogger("scim_server.requests")


def accepted_request_id(offered: str | None) -> str:
    """The caller's id when printable, at most 100 characters and not a secret; else a new one."""
    if offered and _USABLE_REQUEST_ID.fullmatch(offered) and redact(offered) == offered:
        return offered
    return uuid.uuid4().hex


def begin_request(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Runs first on every request, before authentication, so every later step has the id."""
    g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.ops_started = time.perf_counter()
    g.ops_directory_id = (values or {}).get("directory_id")
    g.ops_org_id = (values or {}).get("org_id")


def finish_request(response: Response) -> Response:
    """Echo the request id, count the request, write its log line."""
    request_id = g.get("request_id") or accepted_request_id(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    try:
        _count_and_log(request_id, response.status_code)
    except Exception:  # noqa: BLE001 - observability must never fail the answer itself
        logging.getLogger(__name__).exception("could not log the request")
    return response


def _count_and_log(request_id: str, status: int) -> None:
    seconds = time.perf_counter() - g.get("ops_started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
    method = request.method if request.method in _KNOWN_METHODS else "OTHER"
    # The URL's directory names the metric only once its token proved it; no ORM access
    # here, since the request's session may already have failed.
    url_directory = g.get("ops_directory_id")
    authenticated = url_directory if g.get("scim_directory") is not None else ""
    metrics.record_request(route, method, status, authenticated or "", seconds)
    request_logger.info("request", extra={"fields": {
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "directory_id": _short(url_directory),
        "org_id": _short(g.get("ops_org_id")),
        "remote_addr": request.remote_addr,
        "user_agent": _short(request.user_agent.string, 200),
        "pid": os.getpid(),
    }})


def _short(value: str | None, limit: int = 100) -> str | None:
    return value[:limit] if value else None


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON, secrets removed."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        elif has_request_context() and g.get("request_id"):
            entry["request_id"] = g.request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        # Then the whole line, for secrets in fields (raw text first: JSON escapes newlines).
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


class StderrJsonHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time (so captured output captures it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.addFilter(RedactingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging must never break a request
            self.handleError(record)


def install_logging(level: str) -> None:
    """Send every logger's records through one redacting JSON handler (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(h, StderrJsonHandler) for h in root.handlers):
        root.addHandler(StderrJsonHandler())
    app_logger = logging.getLogger("scim_server")
    app_logger.removeHandler(default_handler)
    app_logger.setLevel(level)


def init_app(app: Flask, level: str) -> None:
    install_logging(level)
    app.url_value_preprocessor(begin_request)
    app.after_request(finish_request)
