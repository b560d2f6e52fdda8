"""Directories: the SCIM base URL, the idp profile, tokens, tolerances and provisioning
health (issue 16), read through the same services as `/admin/v1/.../directories`.

Health is read after this worker's buffered counts are flushed (as the admin API does),
so a refused request shows up on the next page load rather than after the next flush.
"""
from __future__ import annotations

from typing import Any, cast

from flask import current_app, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from wtforms import IntegerField, SearchField, StringField, SubmitField
from wtforms.validators import Length, NumberRange, Optional

from .. import db
from ..config import Config
from ..models import Directory, ScimFailure, ScimToken, utcnow
from ..ops import health_recorder
from ..services import directories_admin as service
from ..services import provisioning_health as health
from .blueprint import org_id, org_page
from .forms import kept_length

FAILURES_PER_PAGE = 25


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[kept_length(ScimToken.name)],
                       description="So you can tell tokens apart, like the identity provider's.")
    expires_in_days = IntegerField("Expires after (days)", validators=[
        Optional(), NumberRange(1, 3650, "Enter a number of days from 1 to 3650.")],
        description="Leave empty for a token that does not expire.")
    submit = SubmitField("Create token")


class RotateForm(FlaskForm):
    overlap_hours = IntegerField("Old token keeps working for (hours)", validators=[
        NumberRange(0, 90 * 24, "Enter a number of hours from 0 to 2160.")])
    submit = SubmitField("Rotate token")


class FailureFilterForm(FlaskForm):
    """GET filters of the recent failures (the API's `status` and `scimType`)."""

    class Meta:
        csrf = False

    status = IntegerField("HTTP status", validators=[
        Optional(), NumberRange(400, 599, "Enter an HTTP status from 400 to 599.")])
    scimType = StringField("scimType", validators=[Optional(), Length(max=40)])  # noqa: N815
    submit = SubmitField("Filter")


class LookupForm(FlaskForm):
    class Meta:
        csrf = False

    user = SearchField("Email or userName", validators=[Optional(), Length(max=400)])
    submit = SubmitField("Look up")


def scim_base_url(directory: Directory) -> str:
    """What to paste into the identity provider: `{public_url}/scim/v2/directories/{id}`."""
    config = cast(Config, current_app.config["SCIM"])
    return f"{config.public_url.rstrip('/')}/scim/v2/directories/{directory.id}"


@org_page("/directories", area="org")
def directories() -> Any:
    session = db.session()
    found = list(session.scalars(service.directories_query(org_id())
                                 .order_by(Directory.created_at, Directory.id)))
    return render_template("console/directories.html", title="Directories",
                           directories=[(d, scim_base_url(d)) for d in found])


@org_page("/directories/<directory_id>", area="org")
def directory_detail(directory_id: str) -> Any:
    return render_directory(directory_id)


def render_directory(directory_id: str, *, issued: Any = None, status: int = 200,
                     token_form: TokenForm | None = None) -> Any:
    """The directory page; `issued` (a token and its secret) is shown once, on a POST."""
    service.get_directory(db.session(), org_id(), directory_id)  # another org's id: 404
    _flush_counts()
    session = db.session()
    directory = service.get_directory(session, org_id(), directory_id)
    report = health.health(session, directory)
    tokens = list(session.scalars(service.tokens_query(directory.id)
                                  .order_by(ScimToken.created_at.desc(), ScimToken.id.desc())))
    filters = FailureFilterForm(request.args)
    failures, next_url = _failures(directory, filters)
    lookup = LookupForm(request.args)
    person = None
    if lookup.validate() and (lookup.user.data or "").strip():
        person = health.requests_about(session, directory, lookup.user.data, limit=100)
    config = cast(Config, current_app.config["SCIM"])
    rotate = RotateForm(formdata=None, overlap_hours=config.token_rotation_overlap_hours)
    return render_template(
        "console/directory_detail.html", title=directory.name, directory=directory,
        scim_url=scim_base_url(directory), report=report, tokens=tokens, failures=failures,
        next_url=next_url, filters=filters, lookup=lookup, person=person, issued=issued,
        token_form=token_form or TokenForm(formdata=None), rotate_form=rotate,
        now=utcnow()), status


def _flush_counts() -> None:
    """End the request's snapshot, then write this worker's pending counts (see
    admin/directory_health.py: on SQLite the open snapshot would hide them)."""
    session = db.session()
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()
    health_recorder.flush_local(current_app._get_current_object())  # type: ignore[attr-defined]


def _failures(directory: Directory, filters: FailureFilterForm
              ) -> tuple[list[ScimFailure], str | None]:
    """One page of recent failures, newest first, keyset on the failure id."""
    if not filters.validate():
        return [], None
    stmt = health.failures_query(directory.id, status=filters.status.data,
                                 scim_type=(filters.scimType.data or "").strip() or None)
    after = request.args.get("after", "")
    if after.isdigit() and len(after) < 19:
        stmt = stmt.where(ScimFailure.id < int(after))
    rows = list(db.session().scalars(stmt.order_by(ScimFailure.id.desc())
                                     .limit(FAILURES_PER_PAGE + 1)))
    page = rows[:FAILURES_PER_PAGE]
    next_url = None
    if len(rows) > FAILURES_PER_PAGE:
        args = {k: v for k, v in request.args.items() if k != "after"}
        next_url = url_for("console.directory_detail", directory_id=directory.id,
                           after=page[-1].id, **args) + "#failures"
    return page, next_url


