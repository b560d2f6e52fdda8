"""SMTP delivery of outbox messages, configured by one URL (`SCIM_SMTP_URL`).

`smtp://host:port` (plain), `smtps://host:port` (implicit TLS, RFC 8314 §3.3),
`smtp+starttls://host:port` or `smtp://host:port?starttls=true` (STARTTLS, RFC 3207), each
with an optional login (`smtp://user:password@host:port`, RFC 4954) and `?cafile=PATH` to
trust a private certificate authority. Failures become `DeliveryError`s that say whether
retrying can help: a 5xx reply to the recipient or the message is permanent (RFC 5321
§4.2.1); a 4xx reply, a refused login or an unreachable server is not.
"""
from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

SCHEMES = {"smtp": ("plain", 25), "smtps": ("ssl", 465), "smtp+starttls": ("starttls", 587)}
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to deliver; `password` never appears in `repr`."""

    host: str
    port: int
    security: str  # plain, ssl or starttls
    username: str | None = None
    password: str | None = None
    cafile: str | None = None
    sender: str = "scim-server@localhost"
    timeout: float = 30.0

    def __repr__(self) -> str:
        login = f"{self.username}:***@" if self.username else ""
        return f"SmtpSettings({self.security}://{login}{self.host}:{self.port})"


def parse_smtp_url(url: str, *, sender: str = "scim-server@localhost",
                   timeout: float = 30.0) -> SmtpSettings:
    """Read `SCIM_SMTP_URL`; a malformed URL raises ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"SCIM_SMTP_URL scheme must be one of {', '.join(SCHEMES)}, "
                         f"not {parts.scheme!r}")
    security, default_port = SCHEMES[parts.scheme]
    if not parts.hostname:
        raise ValueError("SCIM_SMTP_URL names no host")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if query.get("starttls", "").lower() in TRUE_WORDS:
        if security == "ssl":
            raise ValueError("SCIM_SMTP_URL: smtps already uses TLS; drop starttls=true")
        security = "starttls"
    return SmtpSettings(
        host=parts.hostname, port=parts.port or default_port, security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        cafile=query.get("cafile") or None, sender=sender, timeout=timeout)


class DeliveryError(Exception):
    """A message was not delivered; `permanent` means retrying the same message is futile,
    `connection` that the server itself failed (other messages will fail alike)."""

    def __init__(self, detail: str, *, permanent: bool = False, connection: bool = False,
                 code: int | None = None):
        super().__init__(detail)
        self.permanent = permanent
        self.connection = connection
        self.code = code


@dataclass(frozen=True)
class Envelope:
    """What one delivery needs, detached from the database row."""

    id: str
    message_id: str
    to: str
    subject: str
    body_text: str
    body_html: str | None


def header_message_id(stored: str) -> str:
    """The Message-ID header (RFC 5322 §3.6.4) of a stored id: as is when well-formed."""
    if MESSAGE_ID.match(stored):
        return stored
    return f"<{hashlib.sha256(stored.encode('utf-8')).hexdigest()[:32]}@scim-server>"


def build_email(envelope: Envelope, sender: str) -> EmailMessage:
    """A MIME message: plain text, with the HTML as its alternative when there is one."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = envelope.to
    email["Subject"] = envelope.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = header_message_id(envelope.message_id)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834 §5: no auto-replies, please
    email.set_content(envelope.body_text)
    if envelope.body_html:
        email.add_alternative(envelope.body_html, subtype="html")
    return email


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.cafile)


class Mailer:
    """One SMTP connection, opened on first use and reused for a batch of messages."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, _type: type[BaseException] | None, _exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        """Open, greet, secure and log in; on any failure the socket is closed first."""
        s = self.settings
        smtp: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                        context=_tls_context(s))
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=_tls_context(s))
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException as exc:
            if smtp is not None:
                smtp.close()  # a refused STARTTLS or login must not leak the socket
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                raise DeliveryError(f"SMTP login refused ({exc.smtp_code})", connection=True,
                                    code=exc.smtp_code) from exc
            if isinstance(exc, (smtplib.SMTPException, OSError)):
                raise DeliveryError(f"cannot reach SMTP server {s.host}:{s.port}: "
                                    f"{type(exc).__name__}: {exc}", connection=True) from exc
            raise
        return smtp

    def send(self, envelope: Envelope) -> None:
        """Deliver one message or raise `DeliveryError`."""
        try:
            email = build_email(envelope, self.settings.sender)
        except (ValueError, TypeError, UnicodeError) as exc:  # e.g. CR or LF in a header
            raise DeliveryError(f"cannot build the message: {type(exc).__name__}: {exc}"
                                ) from exc
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(email, from_addr=self.settings.sender,
                                    to_addrs=[envelope.to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise DeliveryError(f"recipient refused: {code} {_text(reply)}",
                                permanent=code >= 500, code=code) from exc
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(f"message refused: {exc.smtp_code} {_text(exc.smtp_error)}",
                                permanent=exc.smtp_code >= 500, code=exc.smtp_code) from exc
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise DeliveryError(f"sender {self.settings.sender} refused: {exc.smtp_code} "
                                f"{_text(exc.smtp_error)}", connection=True,
                                code=exc.smtp_code) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"SMTP connection failed: {type(exc).__name__}: {exc}",
                                connection=True) from exc

    def verify(self) -> None:
        """Connect, greet and log in as delivery would, then hang up (`scim-server doctor`)."""
        self.close()
        self._smtp = self._connect()
        self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
