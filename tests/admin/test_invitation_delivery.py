"""Invitations and their emails: a resend leaves one email and one live link;
`email_sent_at` means delivered; invitation status filters find synced accounts too."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from scim_server.cli import main
from scim_server.models import OutboxMessage


@pytest.fixture
def admin(client, tenant):
    def call(method: str, path: str, **kwargs):
        return client.open(tenant.admin_base + path, method=method,
                           headers=tenant.admin_headers, **kwargs)
    return call


def invite(admin, email: str) -> str:
    answer = admin("POST", "/invitations", json={"emails": [email]})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["data"][0]["invitation_id"]


def messages_to(db_session, address: str) -> list[OutboxMessage]:
    db_session.expire_all()
    return list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.to == address)
                                   .order_by(OutboxMessage.created_at)))


def test_a_resend_cancels_the_replaced_invitations_unsent_emails(admin, db_session):
    first = invite(admin, "pat@example.com")
    second = admin("POST", f"/invitations/{first}/resend", json={}).get_json()["id"]
    third = admin("POST", f"/invitations/{second}/resend", json={}).get_json()["id"]
    emails = messages_to(db_session, "pat@example.com")
    assert [m.status for m in emails] == ["dead", "dead", "queued"]
    assert all("newer invitation" in m.last_error for m in emails[:2])
    assert admin("GET", f"/invitations/{third}").get_json()["email_status"] == "queued"
    assert admin("GET", f"/invitations/{first}").get_json()["email_status"] == "dead"


def test_a_revoke_cancels_its_unsent_email(admin, db_session):
    invitation = invite(admin, "rex@example.com")
    assert admin("POST", f"/invitations/{invitation}/revoke", json={}).status_code == 200
    [email] = messages_to(db_session, "rex@example.com")
    assert email.status == "dead" and "revoked" in email.last_error


def test_email_sent_at_is_set_when_the_email_is_delivered(admin, database_url, monkeypatch):
    invitation = invite(admin, "sue@example.com")
    queued = admin("GET", f"/invitations/{invitation}").get_json()
    assert queued["email_status"] == "queued" and queued["email_sent_at"] is None
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    monkeypatch.setenv("SCIM_SMTP_URL", "console:")
    result = CliRunner().invoke(main, ["outbox", "send", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    sent = admin("GET", f"/invitations/{invitation}").get_json()
    assert sent["email_status"] == "sent" and sent["email_sent_at"] is not None
    message = admin("GET", "/outbox?status=sent").get_json()["data"][0]
    assert message["sent_at"] == sent["email_sent_at"]


def push_synced(client, tenant, user_name: str) -> str:
    answer = client.post(f"{tenant.scim_base}/Users", headers=tenant.scim_headers, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
        "emails": [{"value": user_name, "primary": True}], "active": True})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_invitation_not_sent_lists_synced_accounts(admin, client, tenant):
    synced = push_synced(client, tenant, "sam@example.com")
    quiet = admin("POST", "/invitations", json={"emails": ["quiet@example.com"],
                                                "send_email": False}).get_json()["data"][0]
    invite(admin, "loud@example.com")
    listed = admin("GET", "/invitations?status=invitation_not_sent").get_json()
    by_account = {row["account_id"]: row for row in listed["data"]}
    assert set(by_account) == {synced, quiet["account_id"]}
    assert listed["meta"]["total"] == 2
    assert by_account[synced]["id"] is None and by_account[synced]["email"] == "sam@example.com"
    assert by_account[quiet["account_id"]]["id"] == quiet["invitation_id"]
    assert all(r["invitation_status"] == "invitation_not_sent" for r in listed["data"])


def test_users_filter_by_invitation_status(admin, client, tenant):
    synced = push_synced(client, tenant, "syd@example.com")
    invite(admin, "ivy@example.com")

    def emails(status: str) -> set[str]:
        answer = admin("GET", f"/users?invitation_status={status}")
        assert answer.status_code == 200, answer.get_json()
        rows = answer.get_json()["data"]
        assert all(row["invitation_status"] == status for row in rows)
        return {row["email"] for row in rows}

    assert emails("invitation_not_sent") == {"syd@example.com"}
    assert emails("invitation_pending") == {"ivy@example.com"}
    admin("POST", f"/users/{synced}/deactivate", json={})
    assert "syd@example.com" in emails("no_site_access")
    assert admin("GET", "/users?invitation_status=maybe").status_code == 400
