"""Effective access with routes, grants to accounts and groups, revocation."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scim_server.models import Account, AuditEvent, Group, Product
from scim_server.services import product_access
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict, InvalidInput, NotFound

ACTOR = Actor("admin_key", "k1", request_id="r1")


def test_effective_access_lists_every_route_and_the_highest_role(
        db_session: Session, add_account: Callable[..., Account],
        add_product: Callable[..., Product], add_group: Callable[..., Group]) -> None:
    jira, wiki = add_product("jira"), add_product("wiki")
    ann, ben = add_account("ann@x.test"), add_account("ben@x.test")
    inner = add_group("inner", users=(ann.id,))
    outer = add_group("outer", groups=(inner.id,))
    add_group("cycle", groups=(outer.id,))
    db_session.flush()
    org = jira.org_id
    product_access.grant_to_group(db_session, org, jira.id, outer.id, "user", ACTOR)
    product_access.grant_to_group(db_session, org, wiki.id, inner.id, "admin", ACTOR)
    product_access.grant_to_account(db_session, org, jira.id, ann.id, "admin", ACTOR)
    access = product_access.effective_access(db_session, [ann.id, ben.id])
    assert access[ben.id] == []
    by_product = {p.product_id: p for p in access[ann.id]}
    assert by_product[jira.id].role == "admin"
    assert [(r.type, r.group_id, r.nested) for r in by_product[jira.id].routes] == [
        ("direct", None, False), ("group", outer.id, True)]
    assert [(r.type, r.group_name, r.nested, r.role) for r in by_product[wiki.id].routes] == [
        ("group", "inner", False, "admin")]


def test_grants_are_idempotent_audited_and_checked(
        db_session: Session, add_account: Callable[..., Account],
        add_product: Callable[..., Product]) -> None:
    jira = add_product("jira")
    ann = add_account("ann@x.test")
    org = jira.org_id
    grant, created = product_access.grant_to_account(db_session, org, jira.id, ann.id, "user",
                                                     ACTOR)
    again, created_again = product_access.grant_to_account(db_session, org, jira.id, ann.id,
                                                           "user", ACTOR)
    assert (created, created_again, again.id) == (True, False, grant.id)
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == "k1")).all()
    assert actions == ["product_grant.created"]
    with pytest.raises(InvalidInput):
        product_access.grant_to_account(db_session, org, jira.id, ann.id, "owner", ACTOR)
    with pytest.raises(NotFound):
        product_access.grant_to_account(db_session, org, jira.id, "nobody", "user", ACTOR)
    with pytest.raises(NotFound):
        product_access.grant_to_account(db_session, "other-org", jira.id, ann.id, "user", ACTOR)
    ann.status = "pending_deletion"
    with pytest.raises(Conflict):
        product_access.grant_to_account(db_session, org, jira.id, ann.id, "admin", ACTOR)
    assert product_access.revoke(db_session, org, jira.id, ACTOR, account_id=ann.id) is True
    assert product_access.revoke(db_session, org, jira.id, ACTOR, account_id=ann.id) is False


def test_accounts_with_product_and_group_members_follow_nesting(
        db_session: Session, add_account: Callable[..., Account],
        add_product: Callable[..., Product], add_group: Callable[..., Group]) -> None:
    jira = add_product("jira")
    ann, ben = add_account("ann@x.test"), add_account("ben@x.test")
    inner = add_group("inner", users=(ben.id,))
    outer = add_group("outer", users=(ann.id,), groups=(inner.id,))
    product_access.grant_to_group(db_session, jira.org_id, jira.id, outer.id, "user", ACTOR)
    assert set(db_session.scalars(product_access.accounts_with_product(jira.id))) == {
        ann.id, ben.id}
    assert set(db_session.scalars(product_access.group_member_accounts(outer.id))) == {
        ann.id, ben.id}
