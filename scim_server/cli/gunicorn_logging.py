"""Gunicorn's own lines (start, workers, signals, errors) as JSON, like every other line.

Gunicorn logs through its `gunicorn.error` logger with handlers of its own, so without
this its lines would be plain text beside the JSON request lines. The access log stays
off: the application writes one JSON line per request itself.
"""
from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from ..ops.request_log import StderrJsonHandler


class JsonGunicornLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with its stream handlers replaced by the redacting JSON handler."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
        self.error_log.addHandler(StderrJsonHandler())
        self.error_log.propagate = False  # the root's JSON handler would write it twice
        self.access_log.addHandler(logging.NullHandler())
        self.access_log.propagate = False
