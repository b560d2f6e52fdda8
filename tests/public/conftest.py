"""Fixtures the public pages share with the admin API tests (products, accounts, groups),
and the product and the organization admin most request-access tests use."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask

from scim_server import db
from scim_server.models import Account
from tests.admin.conftest import (admin, make_account, make_product,  # noqa: F401
                                  make_synced_group, site_id)


@pytest.fixture
def jira(make_product: Callable[..., dict[str, Any]]) -> str:  # noqa: F811
    return str(make_product("jira", "Jira")["id"])


@pytest.fixture
def boss(make_account: Callable[..., str], app: Flask) -> str:  # noqa: F811
    """An organization admin, emailed about every request."""
    boss_id = make_account("boss@acme.test", name="Boss")
    with app.app_context():
        session = db.new_session(app)
        found = session.get_one(Account, boss_id)
        found.is_org_admin, found.email_verified = True, True
        session.commit()
        session.close()
    return boss_id
