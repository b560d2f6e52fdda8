"""What a directory pushed, what we refused and why: the reads behind provisioning health.

The state of a directory (docs/health.md) is `failing` when its most recent push was
refused: there is a refused push (a create, replace, patch, delete or bulk request) after
its last successful push, or a refused one and none successful ever. `failing_since` is
the first refused push after the last successful one. Otherwise it is `healthy`. Reads
(lists, lookups, discovery) never change the state: a 404 for `GET /Users/{id}` is how
identity providers learn that a user is gone.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ..models import (Account, AuditEvent, Directory, DirectoryPush, DirectoryUser, ScimFailure,
                      ScimRequestCount, ScimToken, ToleranceCounter, utcnow)
from .directory_users import norm
from .email_addresses import email_norm
from .errors import InvalidInput
from .health_recording import PUSH_OPERATIONS, RETENTION_DAYS, hour_of

HEALTHY = "healthy"
FAILING = "failing"
DEFAULT_WINDOW = timedelta(hours=24)


@dataclass
class HealthReport:
    """A directory's health over a window of hours."""

    directory_id: str
    state: str
    failing_since: datetime | None
    last_push: DirectoryPush | None
    last_failure: ScimFailure | None
    since: datetime
    until: datetime
    counts: list[dict[str, Any]]
    totals: dict[str, int]
    tolerances: list[ToleranceCounter]

    @property
    def requests(self) -> int:
        return sum(self.totals.values())

    @property
    def failures(self) -> int:
        return self.requests - self.totals.get("success", 0)

    @property
    def error_rate(self) -> float:
        """Refused requests over all requests in the window (0 when there were none)."""
        return round(self.failures / self.requests, 4) if self.requests else 0.0

    @property
    def summary(self) -> dict[str, Any]:
        return {"requests": self.requests, "failures": self.failures,
                "error_rate": self.error_rate, "by_outcome": dict(self.totals)}


def window(since: datetime | None, until: datetime | None,
           now: datetime | None = None) -> tuple[datetime, datetime]:
    """The hours asked for: by default the last 24; never before the retention window."""
    now = now or utcnow()
    until = until or now
    since = since or until - DEFAULT_WINDOW
    if since > until:
        raise InvalidInput("since must not be after until")
    return max(since, now - timedelta(days=RETENTION_DAYS)), until


def health(session: Session, directory: Directory, *, since: datetime | None = None,
           until: datetime | None = None) -> HealthReport:
    """The directory's state, last push, hourly counts and fired workarounds."""
    start, end = window(since, until)
    last_push = session.get(DirectoryPush, directory.id)
    failing_since = _failing_since(session, directory.id, last_push)
    rows = session.execute(
        select(ScimRequestCount.hour, ScimRequestCount.resource, ScimRequestCount.operation,
               ScimRequestCount.outcome, ScimRequestCount.count)
        .where(ScimRequestCount.directory_id == directory.id,
               ScimRequestCount.hour >= hour_of(start), ScimRequestCount.hour <= end)
        .order_by(ScimRequestCount.hour, ScimRequestCount.resource,
                  ScimRequestCount.operation, ScimRequestCount.outcome)).all()
    counts = [{"hour": hour, "resource": resource, "operation": operation, "outcome": outcome,
               "count": count} for hour, resource, operation, outcome, count in rows]
    totals: Counter[str] = Counter()
    for row in counts:
        totals[row["outcome"]] += row["count"]
    last_failure = session.scalars(select(ScimFailure).where(
        ScimFailure.directory_id == directory.id).order_by(ScimFailure.id.desc()).limit(1)
    ).first()
    tolerances = list(session.scalars(select(ToleranceCounter).where(
        ToleranceCounter.directory_id == directory.id).order_by(ToleranceCounter.name)))
    return HealthReport(directory.id, FAILING if failing_since else HEALTHY, failing_since,
                        last_push, last_failure, start, end, counts, dict(totals), tolerances)


def _failing_since(session: Session, directory_id: str,
                   last_push: DirectoryPush | None) -> datetime | None:
    refused = select(func.min(ScimFailure.occurred_at)).where(
        ScimFailure.directory_id == directory_id,
        ScimFailure.operation.in_(sorted(PUSH_OPERATIONS)))
    if last_push is not None:
        refused = refused.where(ScimFailure.occurred_at > last_push.last_push_at)
    return session.scalar(refused)


def failures_query(directory_id: str, *, status: int | None = None,
                   scim_type: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> Select:
    """The directory's recorded failures, newest first once paged, with the filters given."""
    stmt = select(ScimFailure).where(ScimFailure.directory_id == directory_id)
    if status is not None:
        stmt = stmt.where(ScimFailure.status == status)
    if scim_type is not None:
        stmt = stmt.where(func.lower(ScimFailure.scim_type) == scim_type.lower())
    if since is not None:
        stmt = stmt.where(ScimFailure.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(ScimFailure.occurred_at < until)
    return stmt


@dataclass
class PersonRequests:
    """Every recent recorded request about one person: refusals and the changes made."""

    query: str
    account_id: str | None = None
    user_name: str | None = None
    email: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)


def requests_about(session: Session, directory: Directory, who: str, *,
                   limit: int = 100) -> PersonRequests:
    """Find the person by userName or email, then their failures and SCIM changes.

    Failures match by the user's id in the path or by the userName or email they named
    (a refused creation leaves no account behind); changes are the audit events the
    directory's tokens wrote about the account, each with its request id.
    """
    if not who.strip():
        raise InvalidInput("name a user by userName or email")
    by_name, by_email = norm(who.strip()), email_norm(who)
    found = PersonRequests(query=who.strip())
    user = session.scalars(select(DirectoryUser).where(
        DirectoryUser.directory_id == directory.id,
        DirectoryUser.user_name_norm == by_name)).first()
    account = session.get(Account, user.id) if user is not None else session.scalars(
        select(Account).where(Account.org_id == directory.org_id,
                              Account.directory_id == directory.id,
                              Account.email_norm == by_email)).first()
    if account is not None and user is None:
        user = session.get(DirectoryUser, account.id)
    names = {by_name, by_email}
    if user is not None:
        found.user_name = user.user_name
        names.add(user.user_name_norm)
    if account is not None:
        found.account_id, found.email = account.id, account.email
        if account.email_norm:
            names.add(account.email_norm)
    matches = [ScimFailure.subject_norm.in_(sorted(names))]
    if account is not None:
        matches.append(ScimFailure.subject_id == account.id)
    failures = session.scalars(select(ScimFailure).where(
        ScimFailure.directory_id == directory.id, or_(*matches))
        .order_by(ScimFailure.id.desc()).limit(limit))
    entries = [_failure_entry(f) for f in failures]
    if account is not None:
        tokens = select(ScimToken.id).where(ScimToken.directory_id == directory.id)
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.org_id == directory.org_id, AuditEvent.target_id == account.id,
            AuditEvent.actor_type == "directory_token", AuditEvent.actor_id.in_(tokens))
            .order_by(AuditEvent.id.desc()).limit(limit))
        entries += [_change_entry(e) for e in events]
    entries.sort(key=lambda e: e["occurred_at"], reverse=True)
    found.entries = entries[:limit]
    return found


def _failure_entry(failure: ScimFailure) -> dict[str, Any]:
    return {"kind": "failure", "occurred_at": failure.occurred_at,
            "request_id": failure.request_id, "method": failure.method, "path": failure.path,
            "operation": failure.operation, "status": failure.status,
            "scim_type": failure.scim_type, "detail": failure.detail, "action": None}


def _change_entry(event: AuditEvent) -> dict[str, Any]:
    return {"kind": "change", "occurred_at": event.occurred_at,
            "request_id": event.request_id, "method": None, "path": None, "operation": None,
            "status": None, "scim_type": None, "detail": None, "action": event.action}
