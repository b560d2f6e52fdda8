"""Prometheus metrics: counted in-process as requests run, aggregated from the database at scrape.

Under gunicorn with several workers, set `PROMETHEUS_MULTIPROC_DIR` (an empty, writable
folder; `scim-server serve` makes one when it is unset) before the server starts: each
worker then writes its counters there and a scrape, whichever worker answers it, adds
them up. Values that describe the database (outbox depth, licence use) are not counted
by any process: they are computed when scraped, with aggregate queries, and cached for
`SCIM_METRICS_DATABASE_CACHE_SECONDS` so frequent scrapes stay cheap.

Label values never carry secrets or raw paths: routes are URL rules
(`/scim/v2/directories/<directory_id>/Users/<user_id>`), directories are ids of
authenticated directories only.
"""
from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone
from typing import Iterable, Iterator

from flask import Flask
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .. import db
from ..models import OutboxMessage, Product
from ..models.outbox import OUTBOX_STATES

log = logging.getLogger(__name__)
disable_created_metrics()  # `*_created` series double the output and no dashboard reads them
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "scim_server_http_requests", "HTTP requests by route, method, status and directory.",
    ["route", "method", "status", "directory"], registry=PROCESS_REGISTRY)
HTTP_LATENCY = Histogram(
    "scim_server_http_request_duration_seconds", "Time to answer an HTTP request.",
    ["route", "method"], buckets=LATENCY_BUCKETS, registry=PROCESS_REGISTRY)
SCIM_OPERATIONS = Counter(
    "scim_server_scim_operations", "SCIM operations by resource, operation and result.",
    ["resource", "operation", "result"], registry=PROCESS_REGISTRY)
TOLERANCES = Counter(
    "scim_server_idp_tolerances", "Identity-provider workarounds that fired, per directory.",
    ["directory", "name"], registry=PROCESS_REGISTRY)
DIRECTORY_REQUESTS = Counter(
    "scim_server_directory_scim_requests",
    "SCIM requests per authenticated directory, by resource, operation and outcome "
    "(the provisioning-health counts, docs/health.md).",
    ["directory", "resource", "operation", "outcome"], registry=PROCESS_REGISTRY)
RATE_LIMITED = Counter(
    "scim_server_rate_limited_requests", "Requests refused with 429, by credential kind.",
    ["kind"], registry=PROCESS_REGISTRY)

SCIM_RULE_PREFIX = "/scim/v2/directories/<directory_id>/"


def record_request(route: str, method: str, status: int, directory: str, seconds: float) -> None:
    """Count one HTTP request; SCIM requests also count as one SCIM operation."""
    HTTP_REQUESTS.labels(route, method, str(status), directory).inc()
    HTTP_LATENCY.labels(route, method).observe(seconds)
    operation = scim_operation_of(route, method)
    if operation is not None:
        record_scim_operation(operation[0], operation[1], result_of(status))


def record_scim_operation(resource: str, op: str, result: str) -> None:
    """Count a SCIM operation that is not a request of its own (each operation of a Bulk,
    RFC 7644 §3.7): whole requests are counted already, by `record_request`."""
    SCIM_OPERATIONS.labels(resource, op, result).inc()


def record_tolerance(directory_id: str, name: str) -> None:
    """Count one identity-provider workaround that fired for a directory."""
    TOLERANCES.labels(directory_id, name).inc()


def record_directory_request(directory_id: str, resource: str, op: str, outcome: str) -> None:
    """Count one SCIM request of an authenticated directory (never a label per user)."""
    DIRECTORY_REQUESTS.labels(directory_id, resource, op, outcome).inc()


def record_rate_limited(kind: str) -> None:
    RATE_LIMITED.labels(kind).inc()


def result_of(status: int) -> str:
    """`success` below 400, else the status code: what dashboards split errors by."""
    return "success" if status < 400 else str(status)


def scim_operation_of(route: str, method: str) -> tuple[str, str] | None:
    """The (resource, operation) a SCIM URL rule and method stand for, or None."""
    if not route.startswith(SCIM_RULE_PREFIX):
        return None
    parts = route[len(SCIM_RULE_PREFIX):].split("/")
    resource = parts[0] or "root"
    if resource == ".search":
        return "root", "search"
    if resource in ("ServiceProviderConfig", "Schemas", "ResourceTypes"):
        return resource, "discovery"
    if resource == "Bulk":
        return resource, "bulk"
    if len(parts) > 1 and parts[1] == ".search":
        return resource, "search"
    if len(parts) == 1:
        return resource, {"GET": "list", "POST": "create"}.get(method, method.lower())
    by_method = {"GET": "get", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}
    return resource, by_method.get(method, method.lower())


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time: outbox and licences."""

    CACHE_KEY = "scim_server.metrics_cache"

    def __init__(self, app: Flask):
        self.app = app

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ttl = self.app.config["SCIM"].metrics_database_cache_seconds
        cached = self.app.extensions.get(self.CACHE_KEY)
        if cached is None or time.monotonic() - cached[0] >= ttl:
            cached = (time.monotonic(), self._read())
            self.app.extensions[self.CACHE_KEY] = cached
        yield from cached[1]

    def _read(self) -> list[GaugeMetricFamily]:
        up = GaugeMetricFamily("scim_server_metrics_database_up",
                               "1 when the last scrape could read the database.")
        session = db.new_session(self.app, writes=False)
        try:
            families = self._outbox(session) + self._licences(session)
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreadable: %s", type(exc).__name__)
            up.add_metric([], 0)
            return [up]
        finally:
            session.rollback()
            session.close()
        up.add_metric([], 1)
        return [up, *families]

    @staticmethod
    def _outbox(session: Session) -> list[GaugeMetricFamily]:
        depth = GaugeMetricFamily("scim_server_outbox_messages",
                                  "Outbox emails by state (queued and failed wait for delivery; "
                                  "dead gave up).", labels=["status"])
        counts = dict(session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
        for status in OUTBOX_STATES:
            depth.add_metric([status], int(counts.get(status, 0)))
        oldest = session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                                .where(OutboxMessage.status.in_(("queued", "failed"))))
        age = GaugeMetricFamily("scim_server_outbox_oldest_due_age_seconds",
                                "How long the oldest undelivered email has been due.")
        age.add_metric([], max(0.0, (datetime.now(timezone.utc) - oldest).total_seconds())
                       if oldest is not None else 0.0)
        return [depth, age]

    @staticmethod
    def _licences(session: Session) -> list[GaugeMetricFamily]:
        from ..services.licences import used_seats  # the billing rule lives in one place

        used = GaugeMetricFamily("scim_server_licence_seats_used",
                                 "Seats of a product in use.", labels=["org", "product"])
        limit = GaugeMetricFamily("scim_server_licence_seat_limit",
                                  "Seat limit of a product (absent when unlimited).",
                                  labels=["org", "product"])
        for product in session.scalars(select(Product).order_by(Product.org_id, Product.id)):
            used.add_metric([product.org_id, product.id], used_seats(session, product))
            if product.seat_limit is not None:
                limit.add_metric([product.org_id, product.id], product.seat_limit)
        return [used, limit]


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def render(app: Flask) -> tuple[bytes, str]:
    """The exposition text: process counters (all workers' in multiprocess mode), then gauges."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = PROCESS_REGISTRY
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(DatabaseCollector(app))
    return generate_latest(counted) + generate_latest(gauges), CONTENT_TYPE_LATEST
