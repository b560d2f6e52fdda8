"""Domains and access settings (organization admins only).

Approved email domains let people on a domain the organization owns sign up for a
product; the page lists, adds and deletes them with `services.domain_rules`, and edits
the organization's access-request settings with `services.request_settings`: the
services behind the admin API's `domains` and `access-settings`, so webmail refusals,
duplicates, roles and audit events are theirs.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional

from .. import db
from ..models import DomainRule, Product
from ..services import domain_rules
from ..services.errors import NotFound
from ..services.request_settings import org_settings, update_settings
from .blueprint import commit, org_id, org_page
from .forms import ActionForm, choices, kept_length
from .sessions import actor

NOTIFY_WORDS = {"always": "For every request",
                "approval_required": "Only when a request needs approval"}
ROLE_CHOICES = [("", "The product's default role"), ("user", "User"), ("admin", "Admin")]


class DomainForm(FlaskForm):
    domain = StringField("Domain", validators=[DataRequired("Enter a domain, like acme.com."),
                                               kept_length(DomainRule.domain)],
                         description="A domain your organization owns, like acme.com. Public "
                                     "email domains (gmail.com, outlook.com...) are refused.")
    product = SelectField("Product", validators=[DataRequired("Choose a product.")])
    role = SelectField("Role", choices=choices(ROLE_CHOICES), validators=[Optional()])
    approval_required = BooleanField("An admin must approve each sign-up", default=True)
    notify_admins = BooleanField("Email admins about each sign-up", default=True)
    submit = SubmitField("Add domain")


class SettingsForm(FlaskForm):
    deactivated_may_request = BooleanField("Deactivated people may ask for access again")
    notify_admins_on_requests = SelectField("Email admins about access requests",
                                            choices=choices(NOTIFY_WORDS.items()))
    signup_any_domain = BooleanField("Anyone may sign up, whatever their email domain",
                                     description="Their request still waits for an admin.")
    submit = SubmitField("Save settings")


def _products(session: Any) -> dict[str, str]:
    return dict(session.execute(select(Product.id, Product.name).where(
        Product.org_id == org_id()).order_by(Product.name, Product.id)).all())


def _page(domain_form: DomainForm | None = None, settings_form: SettingsForm | None = None,
          status: int = 200) -> tuple[str, int]:
    session = db.session()
    products = _products(session)
    domain_form = domain_form or DomainForm(formdata=None)
    domain_form.product.choices = choices(products.items())
    settings_form = settings_form or SettingsForm(formdata=None,
                                                 data=org_settings(session, org_id()))
    rules = list(session.scalars(domain_rules.rules_query(org_id())
                                 .order_by(DomainRule.domain, DomainRule.created_at)))
    return render_template("console/domains.html", title="Domains", rules=rules,
                           products=products, form=domain_form, settings=settings_form,
                           action=ActionForm()), status


@org_page("/domains", area="org")
def domains() -> Any:
    return _page()


@org_page("/domains/add", area="org", methods=("POST",))
def domain_add() -> Any:
    form = DomainForm()
    form.product.choices = choices(_products(db.session()).items())
    if not form.validate_on_submit():
        return _page(domain_form=form, status=422)
    rule = domain_rules.create_rule(db.session(), org_id(), form.domain.data or "",
                                    form.product.data or "", form.role.data or None, actor(),
                                    approval_required=bool(form.approval_required.data),
                                    notify_admins=bool(form.notify_admins.data))
    commit()
    flash(f"Added {rule.domain}: people with an address there may sign up.", "notice")
    return redirect(url_for("console.domains"))


@org_page("/domains/<rule_id>/delete", area="org", methods=("POST",))
def domain_delete(rule_id: str) -> Response:
    session = db.session()
    rule = session.get(DomainRule, rule_id)
    if rule is None or rule.org_id != org_id():
        raise NotFound(f"no approved domain {rule_id} in this organization")
    domain = rule.domain
    domain_rules.delete_rule(session, org_id(), rule_id, actor())
    commit()
    flash(f"Deleted {domain}. Access already given through it stays.", "notice")
    return redirect(url_for("console.domains"))


@org_page("/access-settings", area="org", methods=("POST",))
def access_settings() -> Any:
    form = SettingsForm()
    if not form.validate_on_submit():
        return _page(settings_form=form, status=422)
    update_settings(db.session(), org_id(), {
        "deactivated_may_request": bool(form.deactivated_may_request.data),
        "notify_admins_on_requests": form.notify_admins_on_requests.data,
        "signup_any_domain": bool(form.signup_any_domain.data)}, actor())
    commit()
    flash("Access settings saved.", "notice")
    return redirect(url_for("console.domains"))
