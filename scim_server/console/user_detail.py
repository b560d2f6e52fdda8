"""User detail: access with routes, groups, sites, lifecycle actions and the audit trail.

Each button posts to its own URL and calls the service the admin API calls for the same
change ("Grant access" → `grant_to_account`, "Deactivate user" → `deactivate`, ...), so
the rules (seat limits, synced accounts, the 14-day grace) are the API's.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import db
from ..models import Account, AuditEvent, Directory, Product, ScimToken, Site, SiteAccess
from ..models.account import SITE_ROLES
from ..services import account_lifecycle as lifecycle
from ..services import invitation_tokens as tokens
from ..services import org_accounts, product_access
from ..services.audit_log import AuditFilters, events_query
from ..services.org_accounts import IDP_OWNED_FIELDS
from .blueprint import commit, org_id, org_page
from .forms import ActionForm, choices
from .invitation_settings import invitation_settings
from .sessions import actor
from .user_rows import user_rows

USER = "/users/<account_id>"
SITE_ROLE_WORDS = {"basic": "Basic", "trusted": "Trusted", "site_admin": "Site admin"}


class GrantForm(FlaskForm):
    product = SelectField("Product", validators=[DataRequired()])
    role = SelectField("Role", choices=choices([("user", "User"), ("admin", "Admin")]))
    submit = SubmitField("Grant access")


class DeactivateForm(FlaskForm):
    message = TextAreaField("Message to the person (optional)",
                            validators=[Optional(), Length(max=2000)],
                            description="Emailed with the notice that their access ended.")
    submit = SubmitField("Deactivate user")


class SiteRoleForm(FlaskForm):
    site = SelectField("Site", validators=[DataRequired()])
    role = SelectField("Site role", choices=choices(
        [(r, SITE_ROLE_WORDS[r]) for r in SITE_ROLES]))
    submit = SubmitField("Save site role")


def actor_names(session: Any, events: list[AuditEvent]) -> dict[tuple[str, str | None], str]:
    """Words for who acted: an admin's email, a directory's name, the command line."""
    accounts = {e.actor_id for e in events if e.actor_type == "account" and e.actor_id}
    tokens_ = {e.actor_id for e in events if e.actor_type == "directory_token" and e.actor_id}
    emails = {i: e for i, e in session.execute(
        select(Account.id, Account.email).where(Account.id.in_(accounts)))} if accounts else {}
    directories = {i: n for i, n in session.execute(
        select(ScimToken.id, Directory.name).join(Directory, Directory.id == ScimToken.directory_id)
        .where(ScimToken.id.in_(tokens_)))} if tokens_ else {}
    names: dict[tuple[str, str | None], str] = {}
    for e in events:
        key = (e.actor_type, e.actor_id)
        if e.actor_type == "account":
            names[key] = str(emails.get(e.actor_id, "an admin"))
        elif e.actor_type == "directory_token":
            names[key] = f"Directory {directories.get(e.actor_id, '')}".strip()
        elif e.actor_type == "admin_key":
            names[key] = "Admin API key"
        else:
            names[key] = {"cli": "Command line", "system": "The server"}.get(
                e.actor_type, e.actor_type)
    return names


def _back(account_id: str) -> Response:
    return redirect(f"/console/orgs/{org_id()}/users/{account_id}")


def _products(session: Any) -> list[Product]:
    return list(session.scalars(select(Product).where(Product.org_id == org_id())
                                .order_by(Product.name, Product.id)))


def _sites(session: Any) -> list[Site]:
    return list(session.scalars(select(Site).where(Site.org_id == org_id())
                                .order_by(Site.created_at, Site.id)))


@org_page(USER, area="users")
def user_detail(account_id: str) -> Any:
    session = db.session()
    account = org_accounts.get_account(session, org_id(), account_id)
    [row] = user_rows(session, org_id(), [account])
    grant = GrantForm()
    grant.product.choices = choices((p.id, p.name) for p in _products(session))
    sites = _sites(session)
    site_form = SiteRoleForm()
    site_form.site.choices = choices((s.id, s.name) for s in sites)
    memberships = {m.site_id: m for m in session.scalars(
        select(SiteAccess).where(SiteAccess.account_id == account.id))}
    directory = session.get(Directory, account.directory_id) if account.directory_id else None
    trail = list(session.scalars(events_query(org_id(), AuditFilters(target=account.id))
                                 .order_by(AuditEvent.id.desc()).limit(50)))
    actors = actor_names(session, trail)
    return render_template(
        "console/user_detail.html", title=row.name, row=row, account=account, grant=grant,
        deactivate=DeactivateForm(), site_form=site_form, sites=sites,
        memberships=memberships, site_role_words=SITE_ROLE_WORDS, directory=directory,
        idp_fields=IDP_OWNED_FIELDS if account.directory_id else (), trail=trail,
        actors=actors,
        action=ActionForm())


@org_page(USER + "/grant", area="users", methods=("POST",))
def user_grant(account_id: str) -> Response:
    form = GrantForm()
    form.product.choices = choices((p.id, p.name) for p in _products(db.session()))
    if not form.validate_on_submit():
        flash("Choose a product and a role.", "error")
        return _back(account_id)
    product_access.grant_to_account(db.session(), org_id(), form.product.data or "",
                                    account_id, form.role.data or "user", actor())
    commit()
    flash("Access granted.", "notice")
    return _back(account_id)


@org_page(USER + "/products/<product_id>/remove", area="users", methods=("POST",))
def user_remove_access(account_id: str, product_id: str) -> Response:
    session = db.session()
    org_accounts.get_account(session, org_id(), account_id)
    removed = product_access.revoke(session, org_id(), product_id, actor(),
                                    account_id=account_id)
    commit()
    if removed:
        flash("Access removed.", "notice")
    else:
        flash("This access comes from a group: remove the person from the group, or remove "
              "the group's access on Groups.", "error")
    return _back(account_id)


@org_page(USER + "/site-role", area="users", methods=("POST",))
def user_site_role(account_id: str) -> Response:
    form = SiteRoleForm()
    form.site.choices = choices((s.id, s.name) for s in _sites(db.session()))
    if not form.validate_on_submit():
        flash("Choose a site and a site role.", "error")
        return _back(account_id)
    lifecycle.add_to_site(db.session(), org_id(), account_id, form.site.data or "",
                          form.role.data or "basic", actor())
    commit()
    flash("Site role saved.", "notice")
    return _back(account_id)


@org_page(USER + "/invite", area="invitations", methods=("POST",))
def user_resend_invite(account_id: str) -> Response:
    ActionForm()
    tokens.invite_account(db.session(), org_id(), account_id, actor(), invitation_settings())
    commit()
    flash("Invite sent. The earlier link no longer works.", "notice")
    return _back(account_id)


@org_page(USER + "/deactivate", area="users", methods=("POST",))
def user_deactivate(account_id: str) -> Response:
    form = DeactivateForm()
    if not form.validate_on_submit():
        flash("The message is too long (2,000 characters at most).", "error")
        return _back(account_id)
    lifecycle.deactivate(db.session(), org_id(), account_id, actor(),
                         (form.message.data or "").strip() or None)
    commit()
    flash("User deactivated. Their seats are free; reactivating brings everything back.",
          "notice")
    return _back(account_id)


@org_page(USER + "/reactivate", area="users", methods=("POST",))
def user_reactivate(account_id: str) -> Response:
    lifecycle.reactivate(db.session(), org_id(), account_id, actor())
    commit()
    flash("User reactivated with the access they had.", "notice")
    return _back(account_id)


@org_page(USER + "/delete", area="users", methods=("POST",))
def user_delete(account_id: str) -> Response:
    account = lifecycle.schedule_deletion(db.session(), org_id(), account_id, actor())
    commit()
    due = account.deletion_due_at.strftime("%Y-%m-%d") if account.deletion_due_at else ""
    flash(f"User will be deleted on {due}. Until then, select \"Cancel deletion\" to keep "
          "them.", "notice")
    return _back(account_id)


@org_page(USER + "/cancel-delete", area="users", methods=("POST",))
def user_cancel_delete(account_id: str) -> Response:
    lifecycle.cancel_deletion(db.session(), org_id(), account_id, actor())
    commit()
    flash("Deletion cancelled.", "notice")
    return _back(account_id)
