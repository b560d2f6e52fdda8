"""Users: search, filters, keyset pages, and "Resend invite" / "Deactivate user" in bulk."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SearchField, SelectField, SubmitField
from wtforms.validators import Length, Optional

from .. import db
from ..models import Account, Directory, utcnow
from ..services import account_lifecycle as lifecycle
from ..services import invitation_tokens as tokens
from ..services import org_accounts
from ..services.errors import DomainError
from ..services.invitation_status import INVITATION_STATUSES, account_status_clause
from .blueprint import commit, org_id, org_page
from .forms import choices
from .invitation_settings import invitation_settings
from .paging import newest_first
from .sessions import actor
from .user_rows import product_names, user_rows

STATUS_WORDS = {"has_site_access": "Has site access", "invitation_pending": "Invitation pending",
                "invitation_expired": "Invitation expired",
                "invitation_not_sent": "Invitation not sent", "no_site_access": "No site access"}
LAST_ACTIVE = {"active-30": ("Active in the last 30 days", None, 30),
               "active-90": ("Active in the last 90 days", None, 90),
               "inactive-30": ("Not active for 30 days", 30, None),
               "inactive-90": ("Not active for 90 days", 90, None),
               "inactive-180": ("Not active for 180 days", 180, None)}


class UserFilterForm(FlaskForm):
    """The GET form above the list: a search field and the filters."""

    class Meta:
        csrf = False

    q = SearchField("Search by name or email", validators=[Optional(), Length(max=200)])
    status = SelectField("Account status", choices=choices([
        ("", "Any"), ("active", "Active"), ("deactivated", "Deactivated"),
        ("pending_deletion", "Pending deletion")]), validators=[Optional()])
    product = SelectField("Product", choices=choices([("", "Any")]), validators=[Optional()])
    source = SelectField("Source", choices=choices([
        ("", "Any"), ("synced", "Synced from a directory"), ("invited", "Invited"),
        ("self_signup", "Signed up")]), validators=[Optional()])
    invitation = SelectField("Invitation status", choices=choices([("", "Any")] + [
        (s, STATUS_WORDS[s]) for s in INVITATION_STATUSES]), validators=[Optional()])
    last_active = SelectField("Last active", choices=choices([("", "Any time")] + [
        (k, v[0]) for k, v in LAST_ACTIVE.items()]), validators=[Optional()])
    submit = SubmitField("Search")


class BulkForm(FlaskForm):
    """Several selected users and one action; the account ids come as `account` values."""

    resend = SubmitField("Resend invite")
    deactivate = SubmitField("Deactivate user")


def _filters(form: UserFilterForm) -> org_accounts.AccountFilters:
    now = utcnow()
    before = since = None
    if form.last_active.data in LAST_ACTIVE:
        _label, idle_days, active_days = LAST_ACTIVE[form.last_active.data]
        before = now - timedelta(days=idle_days) if idle_days else None
        since = now - timedelta(days=active_days) if active_days else None
    return org_accounts.AccountFilters(
        status=form.status.data or None, source=form.source.data or None,
        product_id=form.product.data or None, q=(form.q.data or "").strip() or None,
        last_active_before=before, last_active_since=since)


@org_page("/users", area="users")
def users() -> Any:
    session = db.session()
    products = product_names(session, org_id())
    form = UserFilterForm(formdata=request.args)
    form.product.choices = choices([("", "Any")] + list(products.items()))
    valid = form.validate()
    stmt = org_accounts.accounts_query(org_id(), _filters(form) if valid else
                                       org_accounts.AccountFilters())
    if valid and form.invitation.data:
        stmt = stmt.where(account_status_clause(form.invitation.data))
    page = newest_first(session, stmt, Account.created_at, Account.id,
                        request.args.get("cursor"))
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    directories = {d.id: d.name for d in session.scalars(
        select(Directory).where(Directory.org_id == org_id()))}
    return render_template("console/users.html", title="Users", form=form,
                           rows=user_rows(session, org_id(), page.items),
                           next_url=url_for("console.users", cursor=page.next_cursor, **args)
                           if page.next_cursor else None,
                           first_url=url_for("console.users", **args)
                           if request.args.get("cursor") else None,
                           bulk=BulkForm(), status_words=STATUS_WORDS,
                           directories=directories)


@org_page("/users/bulk", area="users", methods=("POST",))
def users_bulk() -> Response:
    """Resend invites to, or deactivate, every selected user; one result line each."""
    form = BulkForm()
    ids = list(dict.fromkeys(request.form.getlist("account")))[:200]
    if not form.validate_on_submit() or not ids:
        flash("Select at least one user first.", "error")
        return redirect(url_for("console.users"))
    session = db.session()
    done, refused = [], []
    for account_id in ids:
        try:
            with session.begin_nested():
                if form.deactivate.data:
                    account = lifecycle.deactivate(session, org_id(), account_id, actor())
                else:
                    account = org_accounts.get_account(session, org_id(), account_id)
                    tokens.invite_account(session, org_id(), account_id, actor(),
                                          invitation_settings())
                done.append(account.email or account.id)
        except DomainError as exc:
            refused.append(f"{account_id}: {exc}")
    commit()
    verb = "Deactivated" if form.deactivate.data else "Sent a new invite to"
    if done:
        flash(f"{verb} {len(done)} user(s): {', '.join(done)}.", "notice")
    for line in refused:
        flash(f"Not changed: {line}", "error")
    return redirect(_back_to_list(request.referrer))


def _back_to_list(referrer: str | None) -> str:
    """The list as it was (search, filters, page), or its first page: never another site."""
    parts = urlsplit(referrer or "")
    if parts.path == url_for("console.users"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for("console.users")
