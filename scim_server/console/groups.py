"""Groups: synced groups are read-only (their identity provider owns name and members);
admin groups are created, renamed, filled and deleted here. Any group may be granted a
product: product access is the organization's decision, whoever manages the members.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select, tuple_
from werkzeug.wrappers import Response
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from .. import db
from ..models import Account, Directory, Group, GroupMember, Product, ProductGrant
from ..services import admin_groups, product_access
from ..services.email_addresses import EMAIL_LENGTH, email_norm
from ..services.errors import NotFound
from .blueprint import commit, org_id, org_page
from .forms import ActionForm, choices, email_address, kept_length
from .paging import decode_cursor, encode_cursor
from .sessions import actor

GROUP = "/groups/<group_id>"
MEMBERS_PAGE = 100


class NewGroupForm(FlaskForm):
    name = StringField("Group name", validators=[DataRequired("Give the group a name."),
                                                 kept_length(Group.display_name)])
    submit = SubmitField("Create group")


class RenameForm(FlaskForm):
    name = StringField("New name", validators=[DataRequired("Give the group a name."),
                                               kept_length(Group.display_name)])
    submit = SubmitField("Rename group")


class AddMemberForm(FlaskForm):
    email = EmailField("Email address of the user", validators=[
        DataRequired("Enter an email address."), Length(max=EMAIL_LENGTH), email_address])
    submit = SubmitField("Add member")


class GroupGrantForm(FlaskForm):
    product = SelectField("Product", validators=[DataRequired()])
    role = SelectField("Role", choices=choices([("user", "User"), ("admin", "Admin")]))
    submit = SubmitField("Grant access")


def _grant_form() -> GroupGrantForm:
    form = GroupGrantForm()
    form.product.choices = choices((p.id, p.name) for p in db.session().scalars(
        select(Product).where(Product.org_id == org_id()).order_by(Product.name, Product.id)))
    return form


def _back(group_id: str) -> Response:
    return redirect(url_for("console.group_detail", group_id=group_id))


@org_page("/groups", area="org", methods=("GET", "POST"))
def groups() -> Any:
    session = db.session()
    form = NewGroupForm()
    if form.validate_on_submit():
        group = admin_groups.create_group(session, org_id(), (form.name.data or "").strip(),
                                          actor())
        commit()
        flash(f"Created the group {group.display_name}.", "notice")
        return _back(group.id)
    rows = list(session.scalars(admin_groups.groups_query(org_id())
                                .order_by(Group.display_name_norm, Group.id).limit(500)))
    directories = {d.id: d.name for d in session.scalars(
        select(Directory).where(Directory.org_id == org_id()))}
    grants: dict[str, list[str]] = {}
    for group_id, name in session.execute(
            select(ProductGrant.group_id, Product.name).join(Product)
            .where(ProductGrant.org_id == org_id(), ProductGrant.group_id.is_not(None))):
        grants.setdefault(group_id, []).append(name)
    return render_template("console/groups.html", title="Groups", rows=rows, form=form,
                           directories=directories, grants=grants), 422 if form.errors else 200


@org_page(GROUP, area="org")
def group_detail(group_id: str) -> Any:
    return _render_group(group_id)


def _render_group(group_id: str, rename: RenameForm | None = None, status: int = 200) -> Any:
    """The group page; `rename` carries a refused new name and its error back to its field."""
    session = db.session()
    group = admin_groups.get_group(session, org_id(), group_id)
    after = decode_cursor(request.args.get("cursor", "")) if request.args.get("cursor") else None
    stmt = (select(GroupMember, Account).outerjoin(Account, Account.id == GroupMember.member_id)
            .where(GroupMember.group_id == group.id))
    if after is not None:
        stmt = stmt.where(tuple_(GroupMember.created_at, GroupMember.member_id) > tuple_(*after))
    members = list(session.execute(stmt.order_by(GroupMember.created_at, GroupMember.member_id)
                                   .limit(MEMBERS_PAGE + 1)))
    next_cursor = None
    if len(members) > MEMBERS_PAGE:
        members = members[:MEMBERS_PAGE]
        last = members[-1][0]
        next_cursor = encode_cursor([last.created_at, last.member_id])
    names = {g.id: g.display_name for g in session.scalars(select(Group).where(
        Group.id.in_([m.member_id for m, _a in members if m.member_type == "Group"])))}
    grants = list(session.execute(select(ProductGrant, Product).join(Product).where(
        ProductGrant.group_id == group.id).order_by(Product.name)))
    directory = session.get(Directory, group.directory_id) if group.directory_id else None
    return render_template(
        "console/group_detail.html", title=group.display_name, group=group, members=members,
        names=names, grants=grants, directory=directory, grant_form=_grant_form(),
        rename=rename or RenameForm(formdata=None, name=group.display_name),
        add=AddMemberForm(), action=ActionForm(),
        next_url=url_for("console.group_detail", group_id=group.id, cursor=next_cursor)
        if next_cursor else None), status


@org_page(GROUP + "/grant", area="org", methods=("POST",))
def group_grant(group_id: str) -> Response:
    form = _grant_form()
    if not form.validate_on_submit():
        flash("Choose a product and a role.", "error")
        return _back(group_id)
    product_access.grant_to_group(db.session(), org_id(), form.product.data or "", group_id,
                                  form.role.data or "user", actor())
    commit()
    flash("Access granted to every member of the group.", "notice")
    return _back(group_id)


@org_page(GROUP + "/products/<product_id>/remove", area="org", methods=("POST",))
def group_remove_access(group_id: str, product_id: str) -> Response:
    product_access.revoke(db.session(), org_id(), product_id, actor(), group_id=group_id)
    commit()
    flash("Access removed from the group.", "notice")
    return _back(group_id)


@org_page(GROUP + "/rename", area="org", methods=("POST",))
def group_rename(group_id: str) -> Any:
    form = RenameForm()
    if not form.validate_on_submit():
        return _render_group(group_id, rename=form, status=422)
    session = db.session()
    group = admin_groups.get_group(session, org_id(), group_id, lock=True)
    admin_groups.rename_group(session, group, (form.name.data or "").strip(), actor())
    commit()
    flash("Group renamed.", "notice")
    return _back(group_id)


@org_page(GROUP + "/delete", area="org", methods=("POST",))
def group_delete(group_id: str) -> Response:
    session = db.session()
    group = admin_groups.get_group(session, org_id(), group_id, lock=True)
    admin_groups.delete_group(session, group, actor())
    commit()
    flash(f"Deleted the group {group.display_name}.", "notice")
    return redirect(url_for("console.groups"))


@org_page(GROUP + "/members", area="org", methods=("POST",))
def group_add_member(group_id: str) -> Response:
    form = AddMemberForm()
    session = db.session()
    group = admin_groups.get_group(session, org_id(), group_id, lock=True)
    if not form.validate_on_submit():
        flash("Enter the email address of a user of this organization.", "error")
        return _back(group_id)
    email = (form.email.data or "").strip()
    account = session.scalars(select(Account).where(
        Account.org_id == org_id(), Account.email_norm == email_norm(email))).first()
    if account is None:
        raise NotFound(f"no user with the email {email} in this organization; invite them "
                       "first")
    admin_groups.add_member(session, group, account.id, "User", actor())
    commit()
    flash(f"Added {account.email} to the group.", "notice")
    return _back(group_id)


@org_page(GROUP + "/members/<member_id>/remove", area="org", methods=("POST",))
def group_remove_member(group_id: str, member_id: str) -> Response:
    session = db.session()
    group = admin_groups.get_group(session, org_id(), group_id, lock=True)
    admin_groups.remove_member(session, group, member_id, actor())
    commit()
    flash("Member removed.", "notice")
    return _back(group_id)
