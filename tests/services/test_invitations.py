"""Inviting addresses: parsing, one savepoint per address, grants for existing accounts."""
from __future__ import annotations

import time
from typing import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import (Account, AuditEvent, Group, Invitation, OutboxMessage, Product,
                                Site, SiteAccess, utcnow)
from scim_server.services import outbox
from scim_server.services.actors import Actor
from scim_server.services.errors import InvalidInput, NotFound
from scim_server.services.invitation_tokens import InvitationSettings
from scim_server.services.invitations import (InviteRequest, count_results, invite,
                                              is_valid_email, split_emails)
from scim_server.services.org_accounts import ManagedByDirectory

ADMIN = Actor("admin_key", "k1")
SETTINGS = InvitationSettings(public_url="https://scim.example", ttl_days=30)


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_split_emails() -> None:
    assert split_emails("a@x.test, b@x.test;c@x.test\n d@x.test\te@x.test") == [
        "a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"]
    assert split_emails(["a@x.test", " b@x.test ", "c@x.test,d@x.test"]) == [
        "a@x.test", "b@x.test", "c@x.test", "d@x.test"]
    assert split_emails(" ,\n ") == []


@pytest.mark.parametrize("address, valid", [
    ("ann@example.test", True), ("ann.b+tag@sub.example.co", True), ("x@y.z", True),
    ("ann", False), ("@example.test", False), ("ann@", False), ("ann@localhost", False),
    ("ann@@x.test", False), ("a b@x.test", False), ("<ann@x.test>", False),
    ("ann@-x.test", False), ("a" * 65 + "@x.test", False),
    ("a@" + "b" * 320 + ".test", False),
])
def test_email_validity(address: str, valid: bool) -> None:
    assert is_valid_email(address) is valid


def test_new_addresses_become_invited_accounts_with_site_rows_and_emails(
        db_session: Session, tenant: Tenant, site: Site) -> None:
    results = invite(db_session, tenant.org_id, InviteRequest(
        emails=["Ann@Example.test", "bob@example.test"], site_role="trusted",
        message="Hi!"), ADMIN, SETTINGS)
    assert count_results(results) == {"invited": 2}
    ann = db_session.get(Account, results[0].account_id)
    assert ann is not None and ann.email == "Ann@Example.test"
    assert ann.email_norm == "ann@example.test" and ann.source == "invited"
    assert not ann.email_verified and not ann.has_accessed
    row = db_session.get(SiteAccess, (ann.id, site.id))
    assert row is not None and row.role == "trusted"
    invitation = db_session.get(Invitation, results[0].invitation_id)
    assert invitation is not None and invitation.state == "pending"
    assert invitation.message == "Hi!" and invitation.email_sent_at is None  # queued is not sent
    assert abs((invitation.expires_at - utcnow()).days - 30) <= 1
    messages = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.to)).all()
    assert [m.to for m in messages] == ["Ann@Example.test", "bob@example.test"]
    assert all("https://scim.example/invitations/accept?token=scimsrv_inv_"
               in str(outbox.unseal(m.body_text, m.sealed_secrets)) for m in messages)
    assert not any("scimsrv_inv_" in m.body_text for m in messages), "sealed while queued"
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"user.invited", "invitation.issued"} <= actions


def test_send_email_false_queues_nothing(db_session: Session, tenant: Tenant) -> None:
    results = invite(db_session, tenant.org_id, InviteRequest(
        emails=["quiet@example.test"], send_email=False), ADMIN, SETTINGS)
    assert results[0].result == "invited"
    assert count(db_session, OutboxMessage) == 0
    invitation = db_session.get(Invitation, results[0].invitation_id)
    assert invitation is not None and not invitation.send_email
    assert invitation.email_sent_at is None


def test_an_existing_address_gets_the_grants_and_one_email_not_a_second_account(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_product: Callable[..., Product], add_group: Callable[..., Group]) -> None:
    old = add_account("old@example.test", has_accessed=True, source="synced")
    jira = add_product("jira")
    team = add_group("Team", source="admin")
    request = InviteRequest(emails=["OLD@example.test"], groups=[team.id],
                            products=[{"product_id": jira.id, "role": "admin"}])
    [result] = invite(db_session, tenant.org_id, request, ADMIN, SETTINGS)
    assert (result.result, result.account_id, result.invitation_id) == (
        "already_member", old.id, None)
    assert "Jira" in (result.detail or "") or "jira" in (result.detail or "")
    assert count(db_session, Account) == 1 and count(db_session, Invitation) == 0
    [email] = db_session.scalars(select(OutboxMessage)).all()
    assert email.template == "access_granted" and email.to == "old@example.test"
    [again] = invite(db_session, tenant.org_id, request, ADMIN, SETTINGS)
    assert again.result == "already_member" and "nothing new" in (again.detail or "")
    assert count(db_session, OutboxMessage) == 1  # nothing new, nothing sent


def test_an_address_removed_from_the_site_is_added_back(
        db_session: Session, tenant: Tenant, site: Site, add_account: Callable[..., Account],
        add_product: Callable[..., Product]) -> None:
    back = add_account("back@example.test")
    db_session.add(SiteAccess(account_id=back.id, site_id=site.id, removed_at=utcnow()))
    jira = add_product("jira")
    [result] = invite(db_session, tenant.org_id, InviteRequest(
        emails=["back@example.test"], products=[{"product_id": jira.id, "role": "user"}]),
        ADMIN, SETTINGS)
    assert result.result == "already_member"
    row = db_session.get(SiteAccess, (back.id, site.id))
    assert row is not None and row.removed_at is None and row.role == "basic"


def test_a_seat_limit_undoes_only_that_address(
        db_session: Session, tenant: Tenant, add_product: Callable[..., Product]) -> None:
    jira = add_product("jira", seat_limit=1)
    results = invite(db_session, tenant.org_id, InviteRequest(
        emails=["one@example.test", "two@example.test", "three@example.test"],
        products=[{"product_id": jira.id, "role": "user"}]), ADMIN, SETTINGS)
    assert [r.result for r in results] == ["invited", "seat_limit", "seat_limit"]
    assert results[1].product_id == jira.id and "seat" in (results[1].detail or "")
    assert count(db_session, Account) == 1 and count(db_session, Invitation) == 1
    assert count(db_session, OutboxMessage) == 1


def test_seats_reached_through_groups_count_once_per_account(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_product: Callable[..., Product], add_group: Callable[..., Group]) -> None:
    from scim_server.models import ProductGrant
    from scim_server.services.licences import used_seats

    jira = add_product("jira", seat_limit=3)
    team = add_group("Team", source="admin")
    db_session.add(ProductGrant(org_id=tenant.org_id, product_id=jira.id, group_id=team.id,
                                role="user"))
    add_account("member@example.test")  # exists, no access yet: takes a seat through the API
    results = invite(db_session, tenant.org_id, InviteRequest(
        emails=["member@example.test", "a@example.test", "b@example.test", "c@example.test"],
        groups=[team.id], products=[{"product_id": jira.id, "role": "user"}]), ADMIN, SETTINGS)
    assert [r.result for r in results] == ["already_member", "invited", "invited",
                                           "seat_limit"]
    assert used_seats(db_session, jira) == 3
    assert db_session.get(Group, team.id).member_count == 3  # type: ignore[union-attr]


def test_request_level_mistakes_refuse_everything(
        db_session: Session, tenant: Tenant, add_product: Callable[..., Product],
        add_group: Callable[..., Group]) -> None:
    jira = add_product("jira")
    synced = add_group("Synced")
    with pytest.raises(InvalidInput, match="no product"):
        invite(db_session, tenant.org_id, InviteRequest(
            emails=["a@x.test"], products=[{"product_id": "nope", "role": "user"}]),
            ADMIN, SETTINGS)
    with pytest.raises(InvalidInput, match="not a role"):
        invite(db_session, tenant.org_id, InviteRequest(
            emails=["a@x.test"], products=[{"product_id": jira.id, "role": "owner"}]),
            ADMIN, SETTINGS)
    with pytest.raises(NotFound):
        invite(db_session, tenant.org_id, InviteRequest(emails=["a@x.test"], groups=["x"]),
               ADMIN, SETTINGS)
    with pytest.raises(ManagedByDirectory):
        invite(db_session, tenant.org_id, InviteRequest(emails=["a@x.test"],
                                                        groups=[synced.id]), ADMIN, SETTINGS)
    with pytest.raises(InvalidInput, match="at most 1000"):
        invite(db_session, tenant.org_id, InviteRequest(emails=["a@x.test"] * 1001),
               ADMIN, SETTINGS)
    assert count(db_session, Account) == 0


def test_a_thousand_addresses_in_one_call(db_session: Session, tenant: Tenant,
                                          add_product: Callable[..., Product],
                                          backend: str) -> None:
    jira = add_product("jira", seat_limit=2000)
    emails = [f"person{i:04d}@example.test" for i in range(1000)]
    started = time.perf_counter()
    results = invite(db_session, tenant.org_id, InviteRequest(
        emails=emails, products=[{"product_id": jira.id, "role": "user"}]), ADMIN, SETTINGS)
    db_session.commit()
    elapsed = time.perf_counter() - started
    print(f"\ninvite of 1,000 addresses with one product on {backend}: {elapsed:.2f} s")
    assert count_results(results) == {"invited": 1000}
    assert count(db_session, Account) == 1000 and count(db_session, OutboxMessage) == 1000
    assert elapsed < 120
