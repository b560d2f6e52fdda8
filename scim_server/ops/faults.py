"""Server faults (500s): logged with the request id, which the answer quotes."""
from __future__ import annotations

from flask import current_app, g, has_request_context


def server_fault(error: BaseException, api: str) -> str:
    """Log a failure the client did not cause; return the detail to send with the 500.

    The detail carries the request id (also in the `X-Request-Id` header and on the log
    line), so an operator can find the traceback from what the client reports.
    """
    request_id = g.get("request_id") if has_request_context() else None
    current_app.logger.error("unhandled error on the %s API (request %s)", api, request_id,
                             exc_info=error)
    return f"internal server error; quote request id {request_id} when reporting it"
