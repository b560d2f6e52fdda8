"""Inactive users: a dry run of who has not been active for N days and the seats they hold,
then "Deactivate user" for all of them, optionally with an emailed notice.

Both halves call `services.inactive_users.sweep`, the service behind the admin API's
`POST inactive-users/deactivate` (the list is its `dry_run`), so who counts as inactive,
that organization admins are never swept, the one audit event `users.inactive_deactivated`
and the notice are the API's rules, not the page's.
"""
from __future__ import annotations

from typing import Any, cast

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import db
from ..config import Config
from ..services import console_auth
from ..services import inactive_users as service
from .blueprint import commit, org_id, org_page
from .sessions import actor, current_admin
from .user_rows import product_names

DEFAULT_DAYS = 90
MAX_DAYS = 3650  # the admin API's range (admin/activity.py `DAYS`)
SHOWN = 500  # rows listed; the count and the seats freed always cover everyone


class DaysForm(FlaskForm):
    """The GET form that picks the window; no CSRF, it changes nothing."""

    class Meta:
        csrf = False

    days = IntegerField("Not active for (days)", default=DEFAULT_DAYS, validators=[
        DataRequired("Enter a number of days."),
        NumberRange(1, MAX_DAYS, f"Enter a number of days from 1 to {MAX_DAYS:,}.")])
    submit = SubmitField("Show inactive users")


class SweepForm(FlaskForm):
    days = HiddenField(validators=[DataRequired()])
    message = TextAreaField("Message to each person (optional)",
                            validators=[Optional(), Length(max=2000)],
                            description="Sent with the notice when \"Email each person\" is "
                                        "ticked; without it they get a standard notice with a "
                                        "link to ask for access again.")
    notify = BooleanField("Email each person a notice", default=True)
    submit = SubmitField("Deactivate user")


def _days(raw: str | None) -> int | None:
    try:
        days = int(raw or "")
    except ValueError:
        return None
    return days if 1 <= days <= MAX_DAYS else None


@org_page("/inactive-users", area="users")
def inactive_users() -> Any:
    session = db.session()
    form = DaysForm(formdata=request.args if request.args.get("days") else None)
    valid = form.validate() if request.args.get("days") else True
    days = cast(int, form.days.data) if valid and form.days.data else DEFAULT_DAYS
    dry = service.sweep(session, org_id(), days, actor(), dry_run=True)
    names = product_names(session, org_id())
    done = None
    signed_in = current_admin()
    if request.args.get("done") and signed_in is not None:
        last = console_auth.last_result(session, signed_in.session_id)
        done = last if isinstance(last, dict) and last.get("kind") == "inactive_sweep" else None
    sweep_form = SweepForm(days=str(days))
    return render_template(
        "console/inactive_users.html", title="Inactive users", form=form, days=days,
        dry=dry, shown=dry.accounts[:SHOWN], names=names, sweep=sweep_form, done=done,
        freed=sorted(dry.seats_reclaimed.items(), key=lambda kv: names.get(kv[0], kv[0]))
    ), 200 if valid else 422


@org_page("/inactive-users/deactivate", area="users", methods=("POST",))
def inactive_users_deactivate() -> Response:
    """Deactivate everyone the dry run lists, in one audited operation."""
    form = SweepForm()
    days = _days(form.days.data)
    if not form.validate_on_submit() or days is None:
        flash("The message is too long (2,000 characters at most), or the number of days "
              "is not between 1 and 3,650. Nobody was deactivated.", "error")
        return redirect(url_for("console.inactive_users", days=days or DEFAULT_DAYS))
    session = db.session()
    config = cast(Config, current_app.config["SCIM"])
    result = service.sweep(session, org_id(), days, actor(), dry_run=False,
                           notify=bool(form.notify.data),
                           message=(form.message.data or "").strip() or None,
                           public_url=config.public_url)
    names = product_names(session, org_id())
    signed_in = current_admin()
    assert signed_in is not None
    console_auth.keep_result(session, signed_in.session_id, {
        "kind": "inactive_sweep", "days": days, "notified": result.notified,
        "accounts": [{"id": a.id, "email": a.email, "name": a.display_name or a.email or a.id}
                     for a in result.accounts],
        "seats": [{"product": names.get(p, p), "seats": n}
                  for p, n in sorted(result.seats_reclaimed.items())]})
    commit()
    if result.accounts:
        flash(f"Deactivated {len(result.accounts)} user(s) not active for {days} days; "
              f"{sum(result.seats_reclaimed.values())} seat(s) freed"
              + (f", {result.notified} notice(s) queued." if form.notify.data else "."),
              "notice")
    else:
        flash(f"Nobody has been inactive for {days} days: nobody was deactivated.", "notice")
    return redirect(url_for("console.inactive_users", days=days, done="1"))
