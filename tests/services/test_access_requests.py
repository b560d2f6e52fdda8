"""The access request service: finding the requester, each filing rule, decisions."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import (Account, Group, Organization, OutboxMessage, Product,
                                ProductGrant, SiteAccess, utcnow)
from scim_server.services import access_requests as service
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict, InvalidInput, NotFound, Refusal

ADMIN = Actor("admin_key", "k1")


@pytest.fixture
def verified(add_account: Callable[..., Account]) -> Callable[..., Account]:
    return lambda email, **kw: add_account(email, email_verified=True, **kw)


def test_find_account_by_id_or_email(db_session: Session, tenant: Tenant,
                                     verified: Callable[..., Account]) -> None:
    ann = verified("Ann@Acme.test")
    assert service.find_account(db_session, tenant.org_id, email=" ANN@acme.test ") is ann
    assert service.find_account(db_session, tenant.org_id, account_id=ann.id) is ann
    with pytest.raises(InvalidInput):
        service.find_account(db_session, tenant.org_id)
    with pytest.raises(NotFound, match="invite them"):
        service.find_account(db_session, tenant.org_id, email="nobody@acme.test")


def test_each_rule_refuses_with_its_slug(db_session: Session, tenant: Tenant,
                                         verified: Callable[..., Account],
                                         add_account: Callable[..., Account],
                                         add_product: Callable[..., Product]) -> None:
    jira = add_product("jira")

    def slug(account: Account, **kwargs: bool) -> str | None:
        try:
            service.check_may_request(db_session, account, jira, **kwargs)
        except Refusal as refused:
            return refused.reason
        return None

    unverified = add_account("new@acme.test")
    assert slug(unverified) == "email-not-verified"
    assert slug(unverified, require_verified=False) is None
    gone = verified("gone@acme.test")
    db_session.add(SiteAccess(account_id=gone.id, site_id=jira.site_id, removed_at=utcnow()))
    db_session.flush()
    assert slug(gone) == "removed-from-site"
    dying = verified("dying@acme.test", status="pending_deletion")
    assert slug(dying) == "account-pending-deletion"
    sleeper = verified("sleepy@acme.test", status="deactivated")
    assert slug(sleeper) is None
    org = db_session.get_one(Organization, tenant.org_id)
    org.settings = {"deactivated_may_request": False}
    db_session.flush()
    assert slug(sleeper) == "deactivated-may-not-request"


def test_file_decide_and_reopen(db_session: Session, tenant: Tenant,
                                verified: Callable[..., Account],
                                add_product: Callable[..., Product],
                                add_group: Callable[..., Group]) -> None:
    jira = add_product("jira")
    verified("boss@acme.test", is_org_admin=True)
    cy = verified("cy@acme.test", status="deactivated", deactivated_at=utcnow())
    group = add_group("Design", users=(cy.id,))
    db_session.add(ProductGrant(org_id=tenant.org_id, product_id=jira.id, group_id=group.id,
                                role="user"))
    db_session.flush()
    request, created = service.file_request(db_session, tenant.org_id, jira.id, ADMIN,
                                            account_id=cy.id, reason="back")
    assert created and request.status == "pending" and request.filed_by == "admin_key:k1"
    again, created = service.file_request(db_session, tenant.org_id, jira.id, ADMIN,
                                          email="cy@acme.test")
    assert (again.id, created) == (request.id, False)
    with pytest.raises(Conflict, match="only a denied request"):
        service.reopen(db_session, tenant.org_id, request.id, ADMIN)
    approved = service.approve(db_session, tenant.org_id, request.id, ADMIN)
    assert (approved.status, approved.role, cy.status) == ("approved", "user", "active")
    # The group already gives the product back: no direct grant is added on top.
    assert db_session.scalars(select(ProductGrant).where(
        ProductGrant.account_id == cy.id)).all() == []
    templates = sorted(m.template for m in db_session.scalars(select(OutboxMessage)))
    assert templates == ["access_request_approved", "access_request_filed"]


def test_notify_admins_follows_the_setting(db_session: Session, tenant: Tenant,
                                           verified: Callable[..., Account],
                                           add_product: Callable[..., Product]) -> None:
    jira = add_product("jira")
    verified("boss@acme.test", is_org_admin=True)
    verified("other-boss@acme.test", is_org_admin=True)
    ann = verified("ann@acme.test")

    def notify(approval_required: bool, cause: str) -> int:
        return service.notify_admins(db_session, ann, jira, cause=cause, reason=None,
                                     approval_required=approval_required)

    assert notify(False, "a") == 2
    db_session.get_one(Organization, tenant.org_id).settings = {
        "notify_admins_on_requests": "approval_required"}
    db_session.flush()
    assert (notify(False, "b"), notify(True, "c")) == (0, 2)
