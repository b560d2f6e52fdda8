"""User detail: access with routes, groups, sites, lifecycle actions and the audit trail."""
from __future__ import annotations

from typing import Any

from flask import render_template

from .. import db
from ..services import org_accounts
from .blueprint import org_id, org_page
from .user_rows import user_rows


@org_page("/users/<account_id>", area="users")
def user_detail(account_id: str) -> Any:
    session = db.session()
    account = org_accounts.get_account(session, org_id(), account_id)
    [row] = user_rows(session, org_id(), [account])
    return render_template("console/user_detail.html", title=row.name, row=row)
