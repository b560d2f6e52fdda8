"""Invite users: addresses, optional products (none is the default), groups, site role,
"Send email" and a personal message; then one result per address.

The form calls `services.invitations.invite`, the admin API's own, in one transaction;
the results are kept with the session and shown after the redirect (Post/Redirect/Get).
"""
from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import db
from ..models import Group, Product
from ..models.account import SITE_ROLES
from ..services import console_auth
from ..services.invitations import InviteRequest, count_results, invite, split_emails
from .blueprint import commit, org_id, org_page
from .forms import MultiCheckboxField, choices
from .invitation_settings import invitation_settings
from .sessions import actor, current_admin
from .user_detail import SITE_ROLE_WORDS

RESULT_WORDS = {"invited": "Invited", "already_member": "Already a member: access updated",
                "invalid_email": "Not an email address", "duplicate": "Listed twice",
                "seat_limit": "Seat limit reached", "deactivated": "Deactivated account",
                "pending_deletion": "Account pending deletion", "conflict": "Not invited"}


class InviteForm(FlaskForm):
    emails = TextAreaField("Email addresses", validators=[
        DataRequired("Enter at least one email address."), Length(max=100_000)],
        description="Separate addresses with commas, spaces or new lines.")
    products = MultiCheckboxField(
        "Product access (optional)", validators=[Optional()],
        description="Leave every box empty to invite without product access; you can grant "
                    "access later.")
    groups = MultiCheckboxField("Groups (optional)", validators=[Optional()])
    site_role = SelectField("Site role", choices=choices(
        [(r, SITE_ROLE_WORDS[r]) for r in SITE_ROLES]))
    send_email = BooleanField("Send email", default=True,
                              description="Unticked: the accounts are created and no email "
                                          "goes out (status \"Invitation not sent\").")
    message = TextAreaField("Personal message (optional)",
                            validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Invite users")


def _form() -> tuple[InviteForm, dict[str, Product]]:
    session = db.session()
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.org_id == org_id()).order_by(Product.name, Product.id))}
    groups = session.scalars(select(Group).where(Group.org_id == org_id(),
                                                 Group.source == "admin")
                             .order_by(Group.display_name, Group.id))
    form = InviteForm()
    form.products.choices = choices((p.id, p.name) for p in products.values())
    form.groups.choices = choices((g.id, g.display_name) for g in groups)
    return form, products


@org_page("/invite", area="invitations", methods=("GET", "POST"))
def invite_users() -> Any:
    form, products = _form()
    signed_in = current_admin()
    assert signed_in is not None
    if form.validate_on_submit():
        asked = InviteRequest(
            emails=split_emails(form.emails.data or ""),
            products=[{"product_id": pid, "role": products[pid].default_role}
                      for pid in form.products.data or []],
            groups=list(form.groups.data or []), site_role=form.site_role.data or "basic",
            send_email=bool(form.send_email.data),
            message=(form.message.data or "").strip() or None)
        session = db.session()
        results = invite(session, org_id(), asked, actor(), invitation_settings())
        console_auth.keep_result(session, signed_in.session_id, {
            "kind": "invite", "counts": count_results(results),
            "results": [{"email": r.email, "result": r.result, "account_id": r.account_id,
                         "detail": r.detail} for r in results]})
        commit()
        return redirect(url_for("console.invite_users", done="1"))
    done = None
    if request.args.get("done"):
        last = console_auth.last_result(db.session(), signed_in.session_id)
        done = last if isinstance(last, dict) and last.get("kind") == "invite" else None
    return render_template("console/invite.html", title="Invite users", form=form, done=done,
                           result_words=RESULT_WORDS), 422 if form.errors else 200
