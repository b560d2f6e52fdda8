"""Audit log and Outbox pages: the API's filters and paging, states never bodies, and a
"Retry" that is exactly `POST outbox/{id}/retry` (same change, same audit event)."""
from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from typing import Callable

from flask import Flask
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.models import AuditEvent, OutboxMessage, utcnow
from tests.admin.conftest import AdminClient
from tests.console.conftest import Console

BODY = "Secret body: https://scim.test/invitations/accept?token=do-not-show"


def add_message(app: Flask, org_id: str, to: str, status: str, *, minutes_ago: int = 0,
                error: str | None = None) -> str:
    with app.app_context():
        session = db.new_session(app)
        message = OutboxMessage(org_id=org_id, message_id=f"<{to}.{status}@scim.test>", to=to,
                                template="invitation", subject=f"Join us, {to}",
                                body_text=BODY, status=status, attempts=3 if error else 0,
                                last_error=error,
                                created_at=utcnow() - timedelta(minutes=minutes_ago))
        session.add(message)
        session.commit()
        ident = message.id
        session.close()
    return ident


def read(app: Flask, model: type, ident: str) -> object:
    with app.app_context():
        session = db.new_session(app, writes=False)
        row = session.get(model, ident)
        session.expunge_all()
        session.close()
    return row


def rows(html: str, attr: str) -> list[str]:
    return re.findall(rf'{attr}="([^"]+)"', html)


# ---- Outbox ------------------------------------------------------------------------

def test_the_outbox_lists_states_never_bodies_and_filters_by_status(
        app: Flask, signed_in: Console, tenant: Tenant) -> None:
    dead = add_message(app, tenant.org_id, "gone@acme.test", "dead", minutes_ago=1,
                       error="550 5.1.1 Mailbox unavailable")
    sent = add_message(app, tenant.org_id, "ok@acme.test", "sent", minutes_ago=2)
    html = signed_in.get("outbox").get_data(as_text=True)
    listed = rows(html, "data-message")  # the admin's own sign-in email is there too
    assert [m for m in listed if m in (dead, sent)] == [dead, sent] and len(listed) == 3
    assert "550 5.1.1 Mailbox unavailable" in html and "Gave up" in html and "Sent" in html
    assert "do-not-show" not in html and "Secret body" not in html
    assert html.count(">Retry<") == 1  # only the dead one
    only_dead = signed_in.get("outbox?status=dead").get_data(as_text=True)
    assert rows(only_dead, "data-message") == [dead]
    junk = signed_in.get("outbox?status=lost&cursor=%%%")
    assert junk.status_code == 200 and "Choose a status" in junk.get_data(as_text=True)


def test_retry_does_what_the_api_does(app: Flask, signed_in: Console, tenant: Tenant,
                                      admin: AdminClient) -> None:
    mine = add_message(app, tenant.org_id, "gone@acme.test", "dead", error="550")
    twin = add_message(app, tenant.org_id, "twin@acme.test", "failed", error="421")
    response = signed_in.post_form("outbox", f"outbox/{mine}/retry")
    assert response.status_code == 302
    assert "queued again" in signed_in.get("outbox").get_data(as_text=True)
    assert admin.post(f"/outbox/{twin}/retry", json={}).status_code == 200
    by_console, by_api = read(app, OutboxMessage, mine), read(app, OutboxMessage, twin)
    for message in (by_console, by_api):
        assert (message.status, message.attempts, message.claimed_by) == ("queued", 0, None)
    with app.app_context():
        session = db.new_session(app, writes=False)
        requeued = {e.target_id: e for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "outbox.requeued"))}
        admin_id = session.scalars(select(AuditEvent.actor_id).where(
            AuditEvent.action == "console.signed_in")).one()
        session.close()
    assert (requeued[mine].actor_type, requeued[mine].actor_id) == ("account", admin_id)
    assert requeued[mine].changes == {"status": ["dead", "queued"]}
    assert requeued[twin].changes == {"status": ["failed", "queued"]}
    # Sent (or now queued) mail cannot be retried: a page that says so, nothing changes.
    again = signed_in.post_form("outbox", f"outbox/{mine}/retry")
    assert again.status_code == 409
    assert "only dead or failed messages" in again.get_data(as_text=True)


def test_retry_of_another_organizations_message_is_not_found(
        app: Flask, signed_in: Console, make_tenant: Callable[..., Tenant]) -> None:
    other = make_tenant("Globex")
    theirs = add_message(app, other.org_id, "them@globex.test", "dead", error="550")
    assert signed_in.post_form("outbox", f"outbox/{theirs}/retry").status_code == 404
    assert signed_in.get(f"/console/orgs/{other.org_id}/outbox").status_code == 404
    assert read(app, OutboxMessage, theirs).status == "dead"
    assert "them@globex.test" not in signed_in.get("outbox").get_data(as_text=True)


def test_retry_without_csrf_is_refused(app: Flask, signed_in: Console, tenant: Tenant) -> None:
    mine = add_message(app, tenant.org_id, "gone@acme.test", "dead", error="550")
    response = signed_in.client.post(f"/console/orgs/{tenant.org_id}/outbox/{mine}/retry")
    assert response.status_code == 400
    assert read(app, OutboxMessage, mine).status == "dead"


# ---- Audit log ---------------------------------------------------------------------

def test_the_audit_log_shows_each_event_newest_first_with_the_api_filters(
        app: Flask, signed_in: Console, tenant: Tenant, admin: AdminClient,
        make_account: Callable[..., str]) -> None:
    target = make_account("leaver@acme.test")
    assert signed_in.post_form(f"users/{target}", f"users/{target}/deactivate",
                               {"message": "Bye"}).status_code == 302
    html = signed_in.get("audit-log").get_data(as_text=True)
    api = admin.get("/audit-log").get_json()["data"]
    assert rows(html, "data-event") == [str(e["id"]) for e in api]
    row = html.split(f'data-event="{api[0]["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "user.deactivated" in row and target in row and "admin@acme.test" in row
    assert "message_sent" in row  # the changes
    if api[0]["request_id"]:
        assert api[0]["request_id"] in row
    for query, api_query in (("action=user.*", "action=user.*"),
                             ("action=user.deactivated", "action=user.deactivated"),
                             ("actor=account", "actor=account"),
                             (f"target={target}", f"target={target}")):
        console_ids = rows(signed_in.get(f"audit-log?{query}").get_data(as_text=True),
                           "data-event")
        assert console_ids == [str(e["id"]) for e in admin.get(
            f"/audit-log?{api_query}").get_json()["data"]], query
        assert console_ids, query
    future = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert rows(signed_in.get(f"audit-log?since={future}").get_data(as_text=True),
                "data-event") == []
    assert rows(signed_in.get(f"audit-log?until={future}").get_data(as_text=True),
                "data-event") == rows(html, "data-event")


def test_the_audit_log_is_keyset_paged(app: Flask, signed_in: Console, tenant: Tenant) -> None:
    with app.app_context():
        session = db.new_session(app)
        for n in range(60):
            session.add(AuditEvent(org_id=tenant.org_id, actor_type="system", action="demo.tick",
                                   target_type="demo", target_id=f"t{n}", changes={"n": n}))
        session.commit()
        session.close()
    first = signed_in.get("audit-log?action=demo.tick").get_data(as_text=True)
    assert len(rows(first, "data-event")) == 50
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = signed_in.get(next_url).get_data(as_text=True)
    ids = rows(first, "data-event") + rows(second, "data-event")
    assert len(ids) == len(set(ids)) == 60
    assert [int(i) for i in ids] == sorted((int(i) for i in ids), reverse=True)
    assert 'rel="next"' not in second


def test_junk_filters_get_a_page_not_a_500(signed_in: Console) -> None:
    for query in ("since=yesterday", "until=2026-13-45T99:99", "action=" + "a" * 500,
                  "before=abc", "before=" + "9" * 40, "actor=" + "x:" * 300):
        response = signed_in.get(f"audit-log?{query}")
        assert response.status_code == 200, query


def test_nul_bytes_and_forged_cursors_get_a_page_not_a_500(
        app: Flask, signed_in: Console, tenant: Tenant) -> None:
    """PostgreSQL refuses NUL in text: every such input must stop before the database."""
    forged = base64.urlsafe_b64encode(json.dumps(
        ["2026-01-01T00:00:00+00:00", "a\u0000b"]).encode()).decode()
    directory = f"directories/{tenant.directory_id}"
    for path in (f"outbox?cursor={forged}", f"users?cursor={forged}"):
        assert signed_in.get(path).status_code == 200, path  # a damaged cursor: page 1
    for path in ("audit-log?action=a%00", "audit-log?actor=account:%00",
                 f"{directory}?scimType=%00", f"{directory}?user=ada%00"):
        response = signed_in.get(path)
        assert response.status_code == 400, path
        assert "retype the value" in response.get_data(as_text=True)
    assert signed_in.get("directories/a%00b").status_code == 404
    for action in ("outbox/a%00b/retry", f"{directory}/tokens/a%00b/revoke",
                   f"{directory}/tokens/a%00b/rotate"):
        response = signed_in.post_form("outbox", action, {"overlap_hours": "1"})
        assert response.status_code == 404, action
    named = signed_in.post_form("outbox", f"{directory}/tokens", {"name": "Okta\u0000"})
    assert named.status_code == 400
