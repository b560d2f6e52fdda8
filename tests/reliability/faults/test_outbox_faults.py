"""One bad message never stops the outbox; a failed SMTP handshake never leaks its socket
(issue 11, findings 4 and 13). Delivery goes to a real SMTP server (aiosmtpd) on loopback."""
from __future__ import annotations

import gc
import warnings
from datetime import timedelta
from typing import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import Tenant
from scim_server import db
from scim_server.cli.outbox import transactions
from scim_server.models import OutboxMessage, utcnow
from scim_server.services import outbox
from scim_server.services.mailer import DeliveryError, Envelope, Mailer, parse_smtp_url
from tests.smtp_support import SmtpServer, deliver_all

BAD_ADDRESSES = ["victim@example.test\r\nBcc: everyone@example.test", "lf\n@example.test"]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


def stored(app: Flask) -> dict[str, OutboxMessage]:
    session = db.new_session(app, writes=False)
    try:
        return {m.to: m for m in session.scalars(select(OutboxMessage))}
    finally:
        session.close()


def test_a_bad_stored_row_does_not_stop_other_tenants_mail(
        app: Flask, make_tenant: Callable[..., Tenant], smtp: SmtpServer) -> None:
    poisoned, healthy = make_tenant("Poisoned"), make_tenant("Healthy")
    with transactions(app)() as session:
        for n, address in enumerate(BAD_ADDRESSES):  # as an old release could have stored it
            session.add(OutboxMessage(
                org_id=poisoned.org_id, message_id=f"<bad{n}@scim.test>", to=address,
                template="access_granted", subject="You have access", body_text="Hello",
                next_attempt_at=utcnow() - timedelta(hours=1)))
        for n in range(3):
            outbox.enqueue(session, org_id=healthy.org_id, to=f"user{n}@healthy.test",
                           template="access_granted", cause=f"test:healthy:{n}",
                           context={"org_name": "Healthy", "product_name": "Jira"})

    report = deliver_all(app, smtp, max_attempts=2)

    delivered = sorted(r.recipients[0] for r in smtp.wait_for(3))
    assert delivered == ["user0@healthy.test", "user1@healthy.test", "user2@healthy.test"]
    assert len(report.sent) == 3 and len(report.retrying) == 2
    rows = stored(app)
    for address in BAD_ADDRESSES:
        assert rows[address].status == "failed"
        assert "cannot build the message" in (rows[address].last_error or "")
    deliver_all(app, smtp, max_attempts=2)  # the second and last attempt
    rows = stored(app)
    assert {rows[a].status for a in BAD_ADDRESSES} == {"dead"}
    assert all("cannot build the message" in (rows[a].last_error or "") for a in BAD_ADDRESSES)
    assert len(smtp.received) == 3


def test_an_unexpected_error_is_that_messages_failure_only(
        app: Flask, tenant: Tenant, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with transactions(app)() as session:
        for n in range(3):
            message = outbox.enqueue(session, org_id=tenant.org_id, to=f"u{n}@example.test",
                                     template="access_granted", cause=f"test:u:{n}",
                                     context={"org_name": "Acme", "product_name": "Jira"})
            message.next_attempt_at = utcnow() - timedelta(seconds=10 - n)
    real_send = Mailer.send

    def flaky_send(self: Mailer, envelope: Envelope) -> None:
        if envelope.to == "u1@example.test":
            raise RuntimeError("renderer exploded")
        real_send(self, envelope)

    monkeypatch.setattr(Mailer, "send", flaky_send)
    deliver_all(app, smtp, max_attempts=3)
    assert sorted(r.recipients[0] for r in smtp.wait_for(2)) == ["u0@example.test",
                                                                  "u2@example.test"]
    failed = stored(app)["u1@example.test"]
    assert failed.status == "failed" and "RuntimeError: renderer exploded" in failed.last_error


def _leaked_sockets(action: Callable[[], None]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        action()
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_closes_the_socket() -> None:
    server = SmtpServer(logins={"robot": "right"})
    try:
        settings = parse_smtp_url(f"smtp://robot:wrong@127.0.0.1:{server.port}", timeout=5)

        def send() -> None:
            with pytest.raises(DeliveryError, match="login refused|cannot reach"):
                Mailer(settings).send(Envelope("1", "<1@x>", "a@example.test", "s", "b", None))

        assert _leaked_sockets(send) == []
    finally:
        server.stop()


def test_a_failed_starttls_closes_the_socket(smtp: SmtpServer) -> None:
    # The server offers no STARTTLS, so the client's STARTTLS fails after connecting.
    settings = parse_smtp_url(f"smtp+starttls://127.0.0.1:{smtp.port}", timeout=5)

    def send() -> None:
        with pytest.raises(DeliveryError):
            Mailer(settings).send(Envelope("1", "<1@x>", "a@example.test", "s", "b", None))

    assert _leaked_sockets(send) == []


def test_a_tls_handshake_failure_closes_the_socket(smtp: SmtpServer) -> None:
    # smtps against a plain server: the TLS handshake itself fails.
    settings = parse_smtp_url(f"smtps://127.0.0.1:{smtp.port}", timeout=5)

    def send() -> None:
        with pytest.raises(DeliveryError):
            Mailer(settings).send(Envelope("1", "<1@x>", "a@example.test", "s", "b", None))

    assert _leaked_sockets(send) == []
