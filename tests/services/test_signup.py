"""Self-signup: what happens to new and existing addresses under each kind of rule."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, Invitation, OutboxMessage, Product, ProductGrant
from scim_server.services import signup as service
from scim_server.services.errors import Refusal
from scim_server.services.actors import Actor
from scim_server.services.domain_rules import create_rule
from scim_server.services.invitation_tokens import InvitationSettings

LINKS = InvitationSettings(public_url="http://scim.test")


def invitations(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Invitation)) or 0)


def test_existing_verified_account_on_an_open_domain_is_granted_and_told_by_email(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_product: Callable[..., Product]) -> None:
    jira = add_product("jira")
    ann = add_account("ann@acme.example", email_verified=True)
    create_rule(db_session, tenant.org_id, "acme.example", jira.id, "admin", Actor.cli(),
                approval_required=False, notify_admins=False)
    result = service.sign_up(db_session, "ANN@acme.example", jira.id, LINKS)
    assert (result.result, result.account.id) == ("granted", ann.id)
    grant = db_session.scalars(select(ProductGrant)).one()
    assert (grant.account_id, grant.role, grant.origin) == (ann.id, "admin", "domain_rule")
    assert invitations(db_session) == 0
    [notice] = db_session.scalars(select(OutboxMessage)).all()
    assert (notice.to, notice.template) == ("ann@acme.example", "signup_notice")


def test_new_address_needing_approval_gets_an_unverified_account_and_a_request(
        db_session: Session, tenant: Tenant, add_product: Callable[..., Product]) -> None:
    wiki = add_product("wiki")
    create_rule(db_session, tenant.org_id, "acme.example", wiki.id, None, Actor.cli())
    result = service.sign_up(db_session, "bo@acme.example", wiki.id, LINKS)
    assert result.result == "confirm_first"
    assert result.request is not None and result.request.source == "signup"
    assert (result.account.source, result.account.email_verified) == ("self_signup", False)
    assert invitations(db_session) == 1
    with pytest.raises(Refusal) as refused:
        service.sign_up(db_session, "bo@other.example", wiki.id, LINKS)
    assert refused.value.reason == "domain-not-approved"


def test_an_unconfirmed_address_on_an_open_domain_takes_no_seat_until_confirmed(
        db_session: Session, tenant: Tenant, add_product: Callable[..., Product]) -> None:
    jira = add_product("jira", seat_limit=1)
    create_rule(db_session, tenant.org_id, "acme.example", jira.id, "user", Actor.cli(),
                approval_required=False, notify_admins=False)
    for address in ("a@acme.example", "b@acme.example", "a@acme.example"):
        assert service.sign_up(db_session, address, jira.id, LINKS).result == "confirm_first"
    assert db_session.scalars(select(ProductGrant)).all() == []
    pending = db_session.scalars(select(Invitation).where(Invitation.state == "pending")).all()
    assert len(pending) == 2, "a repeat replaces the address's invitation, it does not add one"
    assert all(i.products == [{"product_id": jira.id, "on_accept": "signup"}] for i in pending)
