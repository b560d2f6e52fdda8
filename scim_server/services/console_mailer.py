"""Development delivery: `SCIM_SMTP_URL=console:` writes each email to a terminal.

A newcomer can then accept an invitation or open a sign-in link without an SMTP server:
`scim-server outbox send` prints every queued email (recipient, subject, the plain text
with its links) and marks it sent, as a real delivery would. The text goes to the
terminal, not the log: the log redacts invitation tokens, which would break the links.
"""
from __future__ import annotations

from typing import TextIO

from .mailer import Envelope, Mailer, SmtpSettings

CONSOLE_SCHEMES = ("console:", "log:")
RULE = "-" * 72


def is_console_url(url: str | None) -> bool:
    """True for `console:` (or its alias `log:`), with or without anything after it."""
    return bool(url) and str(url).strip().lower().startswith(CONSOLE_SCHEMES)


def render(envelope: Envelope, sender: str) -> str:
    """One email as a terminal shows it: headers, a blank line, the plain-text body."""
    return (f"{RULE}\nFrom: {sender}\nTo: {envelope.to}\nSubject: {envelope.subject}\n"
            f"Message-ID: {envelope.message_id}\n\n{envelope.body_text.rstrip()}\n{RULE}\n")


class ConsoleMailer(Mailer):
    """A `Mailer` whose every send succeeds and is written to `stream`."""

    def __init__(self, stream: TextIO, sender: str):
        super().__init__(SmtpSettings(host="console", port=0, security="plain", sender=sender))
        self.stream = stream
        self.sender = sender

    def send(self, envelope: Envelope) -> None:
        self.stream.write(render(envelope, self.sender))
        self.stream.flush()

    def close(self) -> None:
        """Nothing to close: there is no connection."""

    def __repr__(self) -> str:
        return "ConsoleMailer(the terminal)"
