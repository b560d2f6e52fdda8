"""Users page: search, filters, the fixed status words, keyset pages, bulk actions."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Callable

import pytest
from flask import Flask
from sqlalchemy import update

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, Invitation, utcnow
from tests.console.conftest import AdminClient, Console


def emails_on(html: str) -> list[str]:
    return re.findall(r'data-email="([^"]*)"', html)


def test_search_by_name_or_email(signed_in: Console, make_account: Callable[..., str]) -> None:
    make_account("ada@acme.test", name="Ada Lovelace")
    make_account("grace@acme.test", name="Grace Hopper")
    assert emails_on(signed_in.get("users?q=lovel").get_data(as_text=True)) == ["ada@acme.test"]
    assert emails_on(signed_in.get("users?q=GRACE@").get_data(as_text=True)) == [
        "grace@acme.test"]
    none = signed_in.get("users?q=%25").get_data(as_text=True)  # LIKE wildcards are literal
    assert emails_on(none) == [] and "No users match" in none


def test_filters_status_source_product_invitation_last_active(
        app: Flask, signed_in: Console, admin: AdminClient, make_account: Callable[..., str],
        make_product: Callable[..., dict]) -> None:
    synced = make_account("synced@acme.test", synced=True)
    gone = make_account("gone@acme.test", status="deactivated")
    busy = make_account("busy@acme.test", has_accessed=True)
    jira = make_product()
    admin.put(f"/products/{jira['id']}/grants/users/{busy}", json={"role": "user"})
    invited = admin.post("/invitations", json={"emails": "new@acme.test"}).get_json()
    with app.app_context():
        session = db.new_session(app)
        session.execute(update(Account).where(Account.id == busy)
                        .values(last_active_at=utcnow() - timedelta(days=2)))
        session.commit()
        session.close()

    def only(query: str) -> list[str]:
        listed = emails_on(signed_in.get(f"users?{query}").get_data(as_text=True))
        return sorted(e for e in listed if e != "admin@acme.test")

    assert only("status=deactivated") == ["gone@acme.test"]
    assert only("source=synced") == ["synced@acme.test"]
    assert only(f"product={jira['id']}") == ["busy@acme.test"]
    assert only("invitation=invitation_not_sent") == ["synced@acme.test"]
    assert only("invitation=invitation_pending") == ["new@acme.test"]
    assert only("invitation=no_site_access") == ["gone@acme.test"]
    assert only("last_active=active-30") == ["busy@acme.test"]
    assert "busy@acme.test" not in only("last_active=inactive-30")
    assert invited["data"][0]["result"] == "invited"
    # An expired invitation shows as such.
    with app.app_context():
        session = db.new_session(app)
        session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(days=1)))
        session.commit()
        session.close()
    assert only("invitation=invitation_expired") == ["new@acme.test"]
    html = signed_in.get("users?invitation=invitation_expired").get_data(as_text=True)
    assert "Invitation expired" in html


def test_a_bad_filter_value_is_ignored_not_a_500(signed_in: Console) -> None:
    response = signed_in.get("users?status=nope&invitation=x&cursor=%%%")
    assert response.status_code == 200


def test_keyset_pages_visit_everyone_once(app: Flask, signed_in: Console,
                                          tenant: Tenant) -> None:
    with app.app_context():
        session = db.new_session(app)
        base = utcnow() - timedelta(days=1)
        for i in range(120):  # several share one created_at: the id breaks the tie
            session.add(Account(org_id=tenant.org_id, email=f"p{i:03}@acme.test",
                                email_norm=f"p{i:03}@acme.test",
                                created_at=base + timedelta(seconds=i // 3)))
        session.commit()
        session.close()
    seen: list[str] = []
    url = "users"
    pages = 0
    while url:
        html = signed_in.get(url).get_data(as_text=True)
        seen += emails_on(html)
        pages += 1
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert pages == 3  # 50 a page
    assert len(seen) == len(set(seen)) == 121
    assert seen[0] == "admin@acme.test"  # newest first


def test_bulk_resend_and_deactivate(app: Flask, signed_in: Console, admin: AdminClient,
                                    make_account: Callable[..., str]) -> None:
    a = make_account("a@acme.test", synced=True)
    b = make_account("b@acme.test", synced=True)
    response = signed_in.post_form("users", "users/bulk", {
        "account": [a, b], "resend": "Resend invite"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Sent a new invite to 2 user(s)" in html
    for account in (a, b):
        assert admin.get(f"/users/{account}").get_json()["invitation_status"] == \
            "invitation_pending"
    response = signed_in.post_form("users", "users/bulk", {
        "account": [a], "deactivate": "Deactivate user"}, follow_redirects=True)
    assert "Deactivated 1 user(s)" in response.get_data(as_text=True)
    assert admin.get(f"/users/{a}").get_json()["status"] == "deactivated"
    assert admin.get(f"/users/{b}").get_json()["status"] == "active"


def test_bulk_with_nothing_selected_says_so(signed_in: Console) -> None:
    response = signed_in.post_form("users", "users/bulk", {"resend": "Resend invite"},
                                   follow_redirects=True)
    assert "Select at least one user first" in response.get_data(as_text=True)


@pytest.mark.parametrize("deep", [False, True], ids=["first-page", "deep-page"])
def test_a_page_is_an_index_range(app: Flask, backend: str, tenant: Tenant, deep: bool) -> None:
    """The plan reads the org's rows from ix_accounts_org_created from the cursor on, with
    no sort: page 1,000 costs what page 1 does."""
    from sqlalchemy import text, tuple_

    from scim_server.console.paging import newest_first
    from scim_server.services.org_accounts import AccountFilters, accounts_query

    stmt = accounts_query(tenant.org_id, AccountFilters())
    if deep:
        stmt = stmt.where(tuple_(Account.created_at, Account.id) < tuple_(utcnow(), "x"))
    with app.app_context():
        session = db.new_session(app, writes=False)
        newest_first(session, stmt, Account.created_at, Account.id, None)  # compiles and runs
        compiled = stmt.order_by(Account.created_at.desc(), Account.id.desc()).limit(51)
        sql = str(compiled.compile(session.bind, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
        plan = "\n".join(str(r) for r in session.execute(text(explain + sql)))
        session.close()
    assert "ix_accounts_org_created" in plan, plan
    if backend == "sqlite":
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Sort" not in plan, plan
