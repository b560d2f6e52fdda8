"""A real SMTP server on loopback (aiosmtpd) that records what it receives, for tests.

It can refuse recipients or messages with a chosen reply, slow down each message, ask
for STARTTLS and a login, and be stopped to play a server that is down.
"""
from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return str(body.get_content()) if body is not None else ""


@dataclass
class CaptureHandler:
    """aiosmtpd handler: records messages; `rcpt_reply`/`data_reply` refuse on purpose."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None
    refuse_addresses: dict[str, str] = field(default_factory=dict)  # lower-case -> reply
    delay_seconds: float = 0.0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        reply = self.refuse_addresses.get(address.lower()) or self.rcpt_reply
        if reply:
            self.refused += 1
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            self.refused += 1
            return self.data_reply
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                                          parsed))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A running aiosmtpd server; `url` is what `SCIM_SMTP_URL` should say."""

    def __init__(self, *, tls_context: ssl.SSLContext | None = None,
                 logins: dict[str, str] | None = None, port: int | None = None):
        self.handler = CaptureHandler()
        self.port = port or free_port()
        self.logins = logins
        kwargs: dict[str, Any] = {}
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=True)
        if logins is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=tls_context is not None)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **kwargs)
        self.controller.start()

    def _authenticate(self, server: Any, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.logins is not None:
            user = auth_data.login.decode()
            if self.logins.get(user) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Wait until at least `count` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def stop(self) -> None:
        self.controller.stop()


def deliver_all(app: Any, server: SmtpServer, **settings: Any) -> Any:
    """Run the outbox worker once, in process, against `server`; return its report."""
    from scim_server.cli.outbox import transactions
    from scim_server.services.mailer import Mailer, parse_smtp_url
    from scim_server.services.outbox_worker import WorkerSettings, run

    values = {"backoff_seconds": 0.0, **settings}
    smtp = parse_smtp_url(server.url, sender="scim@scim.test", timeout=10)
    with Mailer(smtp) as mailer:
        return run(transactions(app), mailer, WorkerSettings(**values), once=True)
