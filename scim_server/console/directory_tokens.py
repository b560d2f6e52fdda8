"""A directory's SCIM tokens: "Create token", "Rotate token" and "Revoke token".

The secret of a new token is rendered once, in the answer to the POST that made it
(`Cache-Control: no-store`, as every console page): never in a redirect URL, never in a
flash message (those live in the session cookie), never again afterwards. Rotation and
revocation are ordinary Post/Redirect/Get actions.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from .. import db
from ..models import ScimToken
from ..services import directories_admin as service
from ..services import token_rotation
from ..services.errors import NotFound
from .blueprint import commit, org_id, org_page
from .directories import RotateForm, TokenForm, render_directory
from .forms import ActionForm
from .sessions import actor

TOKENS = "/directories/<directory_id>/tokens"


@org_page(TOKENS, area="org", methods=("POST",))
def token_create(directory_id: str) -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        return render_directory(directory_id, token_form=form, status=422)
    session = db.session()
    directory = service.get_directory(session, org_id(), directory_id)
    issued = service.issue_token(session, directory, actor(), name=(form.name.data or "").strip(),
                                 expires_in_days=form.expires_in_days.data)
    commit()
    return render_directory(directory_id, status=201, issued={
        "token": issued.token, "secret": issued.secret, "rotated_from": None})


@org_page(TOKENS + "/<token_id>/rotate", area="org", methods=("POST",))
def token_rotate(directory_id: str, token_id: str) -> Any:
    session = db.session()
    directory = service.get_directory(session, org_id(), directory_id)
    _own_token(directory.id, token_id)
    form = RotateForm()
    if not form.validate_on_submit():
        flash(form.overlap_hours.errors[0] if form.overlap_hours.errors
              else "Enter how many hours the old token keeps working.", "error")
        return redirect(url_for("console.directory_detail", directory_id=directory.id))
    rotated = token_rotation.rotate_scim_token(
        session, token_id, actor(), overlap=timedelta(hours=form.overlap_hours.data))
    commit()
    return render_directory(directory.id, status=201, issued={
        "token": rotated.new, "secret": rotated.secret, "rotated_from": rotated.old})


@org_page(TOKENS + "/<token_id>/revoke", area="org", methods=("POST",))
def token_revoke(directory_id: str, token_id: str) -> Response:
    ActionForm()  # the CSRF token was checked before the view ran
    session = db.session()
    directory = service.get_directory(session, org_id(), directory_id)
    was_live = service.revoke_token(session, directory, token_id, actor())
    commit()
    flash("Token revoked: the identity provider can no longer use it." if was_live
          else "That token was already revoked.", "notice")
    return redirect(url_for("console.directory_detail", directory_id=directory.id))


def _own_token(directory_id: str, token_id: str) -> None:
    """A token of another directory (or organization) is not found, like a missing one."""
    token = db.session().get(ScimToken, token_id)
    if token is None or token.directory_id != directory_id:
        raise NotFound(f"no token {token_id} for directory {directory_id}")
