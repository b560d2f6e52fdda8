"""Expiry warnings: queued once per credential, threshold and org admin, 30 and 7 days ahead."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from scim_server.models import Account, Directory, Organization, OutboxMessage, utcnow
from scim_server.services import admin_keys, expiry_warnings, tenancy, token_rotation
from scim_server.services.actors import Actor


@pytest.fixture
def org(db_session, tenant) -> Organization:
    return db_session.get(Organization, tenant.org_id)


@pytest.fixture
def directory(db_session, tenant) -> Directory:
    return db_session.get(Directory, tenant.directory_id)


@pytest.fixture
def admins(db_session, tenant) -> list[Account]:
    """Two active org admins with email, and people who must not be written to."""
    people = [
        Account(org_id=tenant.org_id, email="ada@example.com", email_norm="ada@example.com",
                is_org_admin=True),
        Account(org_id=tenant.org_id, email="bob@example.com", email_norm="bob@example.com",
                is_org_admin=True),
        Account(org_id=tenant.org_id, email="gone@example.com", email_norm="gone@example.com",
                is_org_admin=True, status="deactivated"),
        Account(org_id=tenant.org_id, email="user@example.com", email_norm="user@example.com"),
        Account(org_id=tenant.org_id, email=None, email_norm=None, is_org_admin=True),
    ]
    db_session.add_all(people)
    db_session.flush()
    return people[:2]


def _queue(db_session, now):
    queued = expiry_warnings.queue_expiry_warnings(db_session, now=now)
    db_session.flush()
    return queued


def test_a_token_gets_one_30_day_and_one_7_day_warning_per_admin(db_session, directory, admins):
    now = utcnow()
    issued = tenancy.issue_scim_token(db_session, directory, Actor.cli(), name="entra",
                                      expires_in=timedelta(days=20))
    first = _queue(db_session, now)
    assert sorted(m.to for m in first) == ["ada@example.com", "bob@example.com"]
    message = first[0]
    assert message.status == "queued" and message.template == expiry_warnings.TEMPLATE
    assert message.message_id.startswith(f"expiry-warning.scim_token.{issued.token.id}.30d.")
    assert "expires in 20 days" in message.subject and "entra" in message.subject
    assert issued.token.hint in message.body_text and "token rotate" in message.body_text
    assert message.body_html.startswith("<!doctype html>")  # the shared email layout
    assert message.template == "token_expiry_warning"  # the name docs/invitations.md uses
    for text in (message.subject, message.body_text, message.body_html):
        assert issued.secret not in text
    assert _queue(db_session, now) == []  # never twice
    assert _queue(db_session, now + timedelta(days=5)) == []
    second = _queue(db_session, now + timedelta(days=14))
    assert len(second) == 2 and all(".7d." in m.message_id for m in second)
    assert "6 days" in second[0].subject
    assert _queue(db_session, now + timedelta(days=19)) == []
    assert db_session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.to == "gone@example.com")) is None


def test_only_the_most_urgent_warning_is_sent_when_several_are_due(db_session, directory, admins):
    tenancy.issue_scim_token(db_session, directory, Actor.cli(), expires_in=timedelta(days=3))
    queued = _queue(db_session, utcnow())
    assert len(queued) == 2 and all(".7d." in m.message_id for m in queued)


def test_tokens_that_need_no_warning(db_session, directory, admins):
    tenancy.issue_scim_token(db_session, directory, Actor.cli(), expires_in=timedelta(days=45))
    revoked = tenancy.issue_scim_token(db_session, directory, Actor.cli(),
                                       expires_in=timedelta(days=3))
    tenancy.revoke_scim_token(db_session, revoked.token.id, Actor.cli())
    tenancy.issue_scim_token(db_session, directory, Actor.cli(), expires_in=timedelta(seconds=1))
    assert _queue(db_session, utcnow() + timedelta(minutes=1)) == []  # the tenant's has no expiry


def test_a_rotated_token_is_not_warned_about(db_session, directory, admins):
    issued = tenancy.issue_scim_token(db_session, directory, Actor.cli(),
                                      expires_in=timedelta(days=40))
    later = utcnow() + timedelta(days=25)
    assert len(expiry_warnings.expiring_credentials(db_session, later, timedelta(days=30))) == 1
    token_rotation.rotate_scim_token(db_session, issued.token.id, Actor.cli(),
                                     overlap=timedelta(hours=24), now=later)
    assert _queue(db_session, later) == []  # the old one ends on purpose; the new one has 40 days


def test_admin_keys_are_warned_about_unless_replaced(db_session, org, admins):
    expiring = admin_keys.issue_admin_key(db_session, org, ["read-only", "user-access-admin"],
                                          Actor.cli(), name="ci", expires_in=timedelta(days=6))
    admin_keys.issue_admin_key(db_session, org, ["read-only"], Actor.cli())  # fewer scopes
    queued = _queue(db_session, utcnow())
    assert len(queued) == 2
    assert all(m.message_id.startswith(f"expiry-warning.admin_key.{expiring.key.id}.7d.")
               for m in queued)
    assert "admin key 'ci'" in queued[0].subject and expiring.secret not in queued[0].body_text
    other = admin_keys.issue_admin_key(db_session, org, ["org-admin"], Actor.cli(),
                                       expires_in=timedelta(days=25))
    admin_keys.issue_admin_key(db_session, org, ["org-admin"], Actor.cli())  # its successor
    assert _queue(db_session, utcnow()) == []
    assert other.key.id not in {m.context["credential_id"] for m in queued}


def test_a_warning_queued_elsewhere_is_skipped_not_an_error(db_session, directory, admins):
    issued = tenancy.issue_scim_token(db_session, directory, Actor.cli(),
                                      expires_in=timedelta(days=10))
    credential = expiry_warnings.expiring_credentials(db_session, utcnow(), timedelta(days=30))[0]
    db_session.add(OutboxMessage(
        org_id=directory.org_id, message_id=expiry_warnings.message_id_for(
            credential, 30, admins[0].id),
        to=admins[0].email, template=expiry_warnings.TEMPLATE, subject="s", body_text="b"))
    db_session.flush()
    queued = _queue(db_session, utcnow())
    assert [m.to for m in queued] == ["bob@example.com"]
    assert credential.id == issued.token.id


def test_days_left_are_rounded_to_the_nearest_day():
    """A key expiring in 4 days 23 hours is "in 5 days" (the email said 4; issue 17)."""
    now = utcnow()
    assert expiry_warnings.days_until(now + timedelta(days=5) - timedelta(minutes=5),
                                      now) == "in 5 days"
    assert expiry_warnings.days_until(now + timedelta(days=1, hours=2), now) == "in 1 day"
    assert expiry_warnings.days_until(now + timedelta(hours=23), now) == "within a day"
