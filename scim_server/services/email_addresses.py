"""The one rule every email address obeys before it is stored: no control characters.

An address ends up in an email header (`To:`); RFC 5322 §2.2 allows only printable
characters and a folding space there, and RFC 5321 §4.1.2 none in a mailbox. An address
with CR or LF would inject headers, and Python's email package refuses it when the
message is built, so a stored one could only fail later, in the outbox. Every entry
(SCIM, the admin API, self-signup, invitations, the command line) calls
`check_email_address` so the address is refused where it arrives, with a clear reason.
"""
from __future__ import annotations

import re

from .errors import InvalidInput

# C0 controls, DEL and C1 controls (Unicode general category Cc), plus the line and
# paragraph separators that some mail software also treats as line breaks.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NAMES = {"\r": "CR", "\n": "LF", "\x00": "NUL", "\t": "TAB"}


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
