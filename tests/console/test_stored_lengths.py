"""Console forms take text up to the column that keeps it and show an error on the field
beyond it; nothing a form accepts may fail at the database (a 500 on PostgreSQL).

The limits come from the columns the models declare (tests/lengths_support.py).
"""
from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select

from scim_server import db
from scim_server.models import Account, Group
from tests.console.conftest import AdminClient, Console
from tests.lengths_support import address, dotted_at_the_limit, kept

#: "İ" is one character whose lower case ("i" + U+0307) is two: a group name of them is
#: as long as its column allows, and must be kept and found again whole.
DOTTED = "İ"


def groups(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = [(g.display_name, g.display_name_norm) for g in session.scalars(select(Group))]
        session.close()
    return found


def field_error(html: str, field: str) -> str:
    """The error shown under the form field `field` (rendered by `_forms.html`)."""
    found = re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*'
                      rf'id="{field}"', html)
    assert found, f"the field {field} is not marked invalid"
    error = re.search(r'<p class="error">([^<]+)</p>', html[found.end():])
    assert error, "no error under the field"
    return error.group(1)


def test_a_group_name_as_long_as_its_column_is_created(app: Flask, signed_in: Console) -> None:
    name = DOTTED * kept(Group.display_name)
    response = signed_in.post_form("groups", "groups", {"name": name})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    [(stored, norm)] = groups(app)
    assert stored == name and len(norm) == len(name)


def test_a_group_name_longer_than_its_column_is_an_error_on_the_field(
        app: Flask, signed_in: Console) -> None:
    limit = kept(Group.display_name)
    response = signed_in.post_form("groups", "groups", {"name": "g" * (limit + 1)})
    assert response.status_code == 422
    assert str(limit) in field_error(response.get_data(as_text=True), "name")
    assert groups(app) == []


def test_a_rename_to_the_longest_name_works_and_a_longer_one_is_shown_on_the_form(
        app: Flask, signed_in: Console, admin: AdminClient) -> None:
    group = admin.post("/groups", json={"name": "Team"}).get_json()
    page = f"groups/{group['id']}"
    limit = kept(Group.display_name)
    too_long = signed_in.post_form(page, f"{page}/rename", {"name": "r" * (limit + 1)})
    assert too_long.status_code == 422
    assert str(limit) in field_error(too_long.get_data(as_text=True), "name")
    assert groups(app) == [("Team", "team")]
    renamed = signed_in.post_form(page, f"{page}/rename", {"name": DOTTED * limit})
    assert renamed.status_code == 302
    assert [name for name, _norm in groups(app)] == [DOTTED * limit]


def test_an_invitation_to_an_address_too_long_to_keep_is_an_invalid_email_result(
        app: Flask, signed_in: Console) -> None:
    response = signed_in.post_form("invite", "invite", {
        "emails": f"{address('ada', kept(Account.email) + 1)}\n{dotted_at_the_limit()}\n"
                  "ok@acme.test", "site_role": "basic"},
        follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert sorted(re.findall(r'data-result="(\w+)"', html)) == [
        "invalid_email", "invited", "invited"]
    with app.app_context():
        session = db.new_session(app, writes=False)
        emails = set(session.scalars(select(Account.email)))
        assert session.scalar(select(func.count()).select_from(Account)) == 3
        session.close()
    assert emails == {"admin@acme.test", dotted_at_the_limit(), "ok@acme.test"}
