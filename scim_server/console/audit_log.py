"""Audit log: who did what to whom, newest first, with the API's filters.

Reads `audit_log.events_query` (the same filters as `GET /admin/v1/.../audit-log`: since,
until, action (exact or a prefix ending in `*`), actor (`type` or `type:id`), target) in
keyset pages on `ix_audit_org_time (org_id, id)`: no OFFSET and no total, so a deep page
costs what the first does.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateTimeLocalField, StringField, SubmitField
from wtforms.validators import Length, Optional

from .. import db
from ..models import Account, AuditEvent
from ..services import audit_log as service
from .blueprint import org_id, org_page

PER_PAGE = 50
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    since = DateTimeLocalField("From (UTC)", format=DATETIME_FORMATS, validators=[Optional()])
    until = DateTimeLocalField("Until (UTC)", format=DATETIME_FORMATS, validators=[Optional()])
    action = StringField("Action", validators=[Optional(), Length(max=64)],
                         description="Exact, like user.deactivated, or a prefix ending in *, "
                                     "like user.*")
    actor = StringField("Actor", validators=[Optional(), Length(max=200)],
                        description="A type (account, admin_key, directory_token) or type:id")
    target = StringField("Target id", validators=[Optional(), Length(max=100)])
    submit = SubmitField("Filter")


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None else None


@org_page("/audit-log", area="org")
def audit_log() -> Any:
    form = AuditFilterForm(request.args)
    events: list[AuditEvent] = []
    next_url = None
    if form.validate():
        filters = service.AuditFilters(
            since=_utc(form.since.data), until=_utc(form.until.data),
            action=(form.action.data or "").strip() or None,
            actor=(form.actor.data or "").strip() or None,
            target=(form.target.data or "").strip() or None)
        stmt = service.events_query(org_id(), filters)
        before = request.args.get("before", "")
        if before.isdigit() and len(before) < 19:
            stmt = stmt.where(AuditEvent.id < int(before))
        rows = list(db.session().scalars(stmt.order_by(AuditEvent.id.desc())
                                         .limit(PER_PAGE + 1)))
        events = rows[:PER_PAGE]
        if len(rows) > PER_PAGE:
            args = {k: v for k, v in request.args.items() if k != "before"}
            next_url = url_for("console.audit_log", before=events[-1].id, **args)
    return render_template("console/audit_log.html", title="Audit log", form=form,
                           events=events, next_url=next_url,
                           first_url=url_for("console.audit_log", **{
                               k: v for k, v in request.args.items() if k != "before"})
                           if request.args.get("before") else None,
                           names=_account_names(events))


def _account_names(events: list[AuditEvent]) -> dict[str, str]:
    """Email addresses of the accounts that acted, so a person reads "admin@…", not an id."""
    ids = {e.actor_id for e in events if e.actor_type == "account" and e.actor_id}
    if not ids:
        return {}
    rows = db.session().execute(select(Account.id, Account.email).where(
        Account.org_id == org_id(), Account.id.in_(sorted(ids))))
    return {ident: email for ident, email in rows if email}
