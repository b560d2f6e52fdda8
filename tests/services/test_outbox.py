"""The outbox queue: rendering, stable Message-IDs, one message per cause, no commits."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import OutboxMessage
from scim_server.services import outbox
from tests.lengths_support import kept

ACCEPT_URL = "http://scim.test/invitations/accept?token=T0K"
INVITE: dict[str, object] = {"org_name": "Acme", "accept_url": ACCEPT_URL,
                             "expires_at": "2030-01-01"}

SAMPLES: dict[str, dict[str, object]] = {
    "invitation": INVITE,
    "access_granted": {"org_name": "Acme", "product_name": "Jira"},
    "access_denied": {"org_name": "Acme", "product_name": "Jira", "message": "Not now"},
    "deactivation_notice": {"org_name": "Acme"},
    "access_request_filed": {"org_name": "Acme", "requester_email": "a@x.test",
                             "product_name": "Jira", "reason": "I <need> it"},
    "access_request_approved": {"org_name": "Acme", "product_name": "Jira"},
    "access_request_denied": {"org_name": "Acme", "product_name": "Jira", "message": "No"},
    "token_expiry_warning": {"org_name": "Acme", "credential_label": "SCIM token",
                             "expires_at": "2030-01-01"},
    "signup_notice": {"org_name": "Acme", "product_name": "Jira",
                      "detail": "Your request was sent to the administrators."},
    "request_access_confirm": {"org_name": "Acme", "product_name": "Jira", "hours": 24,
                               "confirm_url": "http://scim.test/request-access/confirm?t=T"},
    "console_sign_in": {"org_name": "Acme", "sign_in_url": "http://x.test/console/sign-in",
                        "expires_minutes": 15},
}


def test_every_template_renders_subject_text_and_html() -> None:
    assert set(SAMPLES) == set(outbox.TEMPLATES)
    for name, context in SAMPLES.items():
        subject, text, html = outbox.render(name, dict(context))
        assert subject and "\n" not in subject, name
        assert "Acme" in text and "Acme" in html, name
        assert html.lstrip().startswith("<!doctype html>"), name


def test_html_is_escaped_and_text_is_not() -> None:
    context = {"org_name": "Acme", "product_name": "Jira", "message": "<b>Sorry</b> & bye"}
    _subject, text, html = outbox.render("access_denied", context)
    assert "<b>Sorry</b> & bye" in text
    assert "&lt;b&gt;Sorry&lt;/b&gt; &amp; bye" in html and "<b>Sorry</b>" not in html
    _s, _t, filed = outbox.render("access_request_filed", SAMPLES["access_request_filed"])
    assert "I &lt;need&gt; it" in filed


def test_unknown_template_and_missing_context_raise_value_error() -> None:
    with pytest.raises(ValueError, match="unknown email template"):
        outbox.render("nope", {})
    with pytest.raises(ValueError, match="accept_url"):
        outbox.render("invitation", {"org_name": "Acme", "expires_at": "x"})


def test_message_id_is_stable_and_distinct_per_cause() -> None:
    first = outbox.message_id_for("invitation:1")
    assert first == outbox.message_id_for("invitation:1")
    assert first != outbox.message_id_for("invitation:2")
    assert first.startswith("<") and first.endswith("@scim-server>") and len(first) == 32 + 14


def test_enqueue_queues_once_per_cause_without_committing(db_session: Session,
                                                          tenant: Tenant) -> None:
    message = outbox.enqueue(db_session, org_id=tenant.org_id, to="ann@example.test",
                             template="invitation", context=dict(INVITE, message="Welcome!"),
                             cause="invitation:abc")
    again = outbox.enqueue(db_session, org_id=tenant.org_id, to="ann@example.test",
                           template="invitation", context=INVITE, cause="invitation:abc")
    assert again.id == message.id
    assert message.status == "queued" and message.attempts == 0
    assert message.message_id == outbox.message_id_for("invitation:abc")
    assert "Welcome!" in message.body_text and ACCEPT_URL in message.body_text
    assert message.subject == "You're invited to join Acme"
    count = select(func.count()).select_from(OutboxMessage)
    assert db_session.scalar(count) == 1
    db_session.rollback()  # the caller's transaction decides; nothing was committed
    assert db_session.scalar(count) == 0


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_a_subject_longer_than_its_column_is_shortened_and_the_email_kept(
        db_session: Session, tenant: Tenant, template: str) -> None:
    """A subject quotes names each allowed up to its own column (a product's, the
    organization's, a person's); together they may pass the subject's, which would fail
    the whole request on PostgreSQL. The subject is shortened; the body keeps them whole."""
    limit = kept(OutboxMessage.subject)
    context = {key: "W" * limit if isinstance(value, str) and "url" not in key else value
               for key, value in SAMPLES[template].items()}
    message = outbox.enqueue(db_session, org_id=tenant.org_id, to="ann@example.test",
                             template=template, context=context, cause=f"long:{template}")
    db_session.flush()
    assert len(message.subject) <= limit and message.subject.endswith("…"), message.subject
    assert "W" * limit in message.body_text
    short = outbox.enqueue(db_session, org_id=tenant.org_id, to="ann@example.test",
                           template=template, context=dict(SAMPLES[template]),
                           cause=f"short:{template}")
    assert not short.subject.endswith("…")


def test_enqueue_rejects_unknown_template(db_session: Session, tenant: Tenant) -> None:
    with pytest.raises(ValueError):
        outbox.enqueue(db_session, org_id=tenant.org_id, to="a@x.test", template="spam",
                       context={}, cause="x")


def test_secrets_are_sealed_in_every_stored_copy_and_restored_for_sending(
        db_session: Session) -> None:
    token = "scimsrv_inv_SEALED-secret-value-0123456789"
    url = f"http://scim.test/invitations/accept?token={token}"
    message = outbox.enqueue(db_session, org_id=None, to="ann@example.test",
                             template="invitation", cause="sealed-test", secrets=[token],
                             context={**INVITE, "accept_url": url})
    stored = " ".join([message.subject, message.body_text, str(message.body_html),
                       json.dumps(message.context)])
    assert token not in stored and "[[scim-server:secret:0]]" in message.body_text
    assert message.sealed_secrets == [token]
    assert url in str(outbox.unseal(message.body_text, message.sealed_secrets))
    assert url in str(outbox.unseal(message.body_html, message.sealed_secrets))
    erased = str(outbox.unseal(message.body_text, None))
    assert token not in erased and outbox.ERASED_SECRET in erased
