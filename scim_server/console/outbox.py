"""Outbox: every email the organization's changes queued, with its delivery state.

Only states are shown (recipient, template, subject, attempts, last error), never a
body: bodies may hold sign-in or invitation links. "Retry" queues a dead or failed email
again through `outbox_retry.retry_message`, the same rule and audit event as
`POST /admin/v1/.../outbox/{id}/retry`.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, SubmitField
from wtforms.validators import Optional

from .. import db
from ..models import OutboxMessage
from ..models.outbox import OUTBOX_STATES
from ..services import invitation_queries as queries
from ..services.outbox_retry import retry_message
from .blueprint import commit, org_id, org_page
from .forms import ActionForm, choices
from .paging import newest_first
from .sessions import actor

STATE_WORDS = {"queued": "Queued", "sending": "Sending", "sent": "Sent", "failed": "Failed",
               "dead": "Gave up"}


class OutboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", choices=choices([("", "Any")] + [
        (s, STATE_WORDS[s]) for s in OUTBOX_STATES]), validators=[Optional()])
    submit = SubmitField("Filter")


@org_page("/outbox", area="org")
def outbox() -> Any:
    form = OutboxFilterForm(request.args)
    valid = form.validate()
    status = form.status.data if valid and form.status.data else None
    page = newest_first(db.session(), queries.outbox_query(org_id(), status=status),
                        OutboxMessage.created_at, OutboxMessage.id,
                        request.args.get("cursor"))
    args = {k: v for k, v in request.args.items() if k != "cursor"}
    next_url = url_for("console.outbox", cursor=page.next_cursor, **args) \
        if page.next_cursor else None
    first_url = url_for("console.outbox", **args) if request.args.get("cursor") else None
    return render_template("console/outbox.html", title="Outbox", form=form,
                           messages=page.items if valid else [], next_url=next_url,
                           first_url=first_url, words=STATE_WORDS)


@org_page("/outbox/<message_id>/retry", area="org", methods=("POST",))
def outbox_retry(message_id: str) -> Response:
    ActionForm()  # the CSRF token was checked before the view ran
    message = retry_message(db.session(), org_id(), message_id, actor())
    commit()
    flash(f"The email to {message.to} is queued again.", "notice")
    return redirect(url_for("console.outbox"))
