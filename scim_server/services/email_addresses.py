"""The one rule every email address obeys before it is stored: no control characters.

An address ends up in an email header (`To:`); RFC 5322 §2.2 allows only printable
characters and a folding space there, and RFC 5321 §4.1.2 none in a mailbox. An address
with CR or LF would inject headers, and Python's email package refuses it when the
message is built, so a stored one could only fail later, in the outbox. Every entry
(SCIM, the admin API, self-signup, invitations, the command line) calls
`check_email_address` so the address is refused where it arrives, with a clear reason.

The admin API, the console and the public pages also refuse an address too long to keep
(`email_too_long`): it is stored as given and lower-cased (`email_norm`, to find it
again), in columns of one length; "İ" lower-cases to two characters, so the lower-case
form is measured too. The SCIM side sizes its attributes itself (`scim/stored_lengths.py`).
"""
from __future__ import annotations

import re

from ..models import Account, EmailedLink, OutboxMessage
from .column_lengths import column_length
from .errors import InvalidInput

# C0 controls, DEL and C1 controls (Unicode general category Cc), plus the line and
# paragraph separators that some mail software also treats as line breaks.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NAMES = {"\r": "CR", "\n": "LF", "\x00": "NUL", "\t": "TAB"}
#: The longest address every column that keeps one (or its lower-case form) can hold.
EMAIL_LENGTH = min(column_length(column) for column in (
    Account.email, Account.email_norm, EmailedLink.email_norm, OutboxMessage.to))


def control_character_in(address: str) -> str | None:
    """The first control character of `address`, named (`CR`, `U+0001`), or None."""
    found = CONTROL_CHARACTERS.search(address)
    if found is None:
        return None
    char = found.group()
    return NAMES.get(char, f"U+{ord(char):04X}")


def check_email_address(address: str, *, what: str = "email address") -> str:
    """Return `address` unchanged, or raise `InvalidInput` naming the control character."""
    name = control_character_in(address)
    if name is not None:
        raise InvalidInput(f"the {what} {address!r} contains a control character ({name}); "
                           "email addresses may contain only printable characters")
    return address


def email_too_long(address: str) -> str | None:
    """Why `address` is too long to keep (itself or in lower case), or None when it fits."""
    lowered = len(address.lower())
    if len(address) <= EMAIL_LENGTH and lowered <= EMAIL_LENGTH:
        return None
    measured = (f"{len(address)}" if len(address) > EMAIL_LENGTH
                else f"{lowered} once lower-cased")
    return (f"An email address can be at most {EMAIL_LENGTH} characters long; this one is "
            f"{measured}.")
