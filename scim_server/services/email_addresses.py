"""The rules every email address obeys: one normalised form, no control characters.

An account's address is unique per organization, case-insensitively (shared/DESIGN.md),
and is found again by its normalised form, `email_norm`: the address without surrounding
whitespace, folded by the server's one case rule (`casefold.fold`: Unicode simple
lowercase, what PostgreSQL's `lower()` and SCIM's filters do). Every side that stores or
looks up an address (SCIM, the admin API, the console, the public pages, the command
line) calls `email_norm`, so an address pushed by a directory and the same address typed
by an admin or a person meet on one account. `str.lower()` would not do: it turns "İ"
into two characters ("i" + U+0307) and a word-final "Σ" into "ς", where the fold gives
"i" and "σ".

An address ends up in an email header (`To:`); RFC 5322 §2.2 allows only printable
characters and a folding space there, and RFC 5321 §4.1.2 none in a mailbox. An address
with CR or LF would inject headers, and Python's email package refuses it when the
message is built, so a stored one could only fail later, in the outbox. Every entry
(SCIM, the admin API, self-signup, invitations, the command line) calls
`check_email_address` so the address is refused where it arrives, with a clear reason.

The admin API, the console and the public pages also refuse an address too long to keep
(`email_too_long`); its norm, one character for one, is never longer. The SCIM side
sizes its attributes itself (`scim/stored_lengths.py`).

The fold is for finding people, not for naming mail domains: "İacme.test" is another DNS
name than "iacme.test" (IDNA maps "İ" to "i" + U+0307), yet both addresses fold to one
norm. The entries that take internationalised domains (sign-up, request access, the
admin API) refuse an address whose folded domain is another domain
(`folds_onto_another_domain`), so nobody reaches someone else's account from a look-alike
domain; invitations and the console take ASCII domains only.
"""
from __future__ import annotations

import re

from sqlalchemy import ColumnElement

from ..casefold import fold, folded
from ..models import Account, EmailedLink, OutboxMessage
from .column_lengths import column_length
from .domain_rules import canonical_domain
from .errors import InvalidInput

# C0 controls, DEL and C1 controls (Unicode general category Cc), plus the line and
# paragraph separators that some mail software also treats as line breaks.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NAMES = {"\r": "CR", "\n": "LF", "\x00": "NUL", "\t": "TAB"}
#: The longest address every column that keeps one (or its norm) can hold.
EMAIL_LENGTH = min(column_length(column) for column in (
    Account.email, Account.email_norm, EmailedLink.email_norm, OutboxMessage.to))


def email_norm(address: str) -> str:
    """The normalised form of `address` that accounts are stored and found by."""
    return fold(address.strip())


def is_address(column: ColumnElement[str], address: str) -> ColumnElement[bool]:
    """SQL: the address `column` keeps as written (`outbox_messages.to`) is `address`,
    by the same rule, on both databases (`casefold.folded`)."""
    return folded(column) == email_norm(address)


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
    """Why `address` is too long to keep, or None when it fits (its norm then fits too:
    the fold keeps one character for one)."""
    if len(address) <= EMAIL_LENGTH:
        return None
    return (f"An email address can be at most {EMAIL_LENGTH} characters long; this one is "
            f"{len(address)}.")


def folds_onto_another_domain(address: str) -> str | None:
    """Why `address` is refused when its norm names another mail domain than it does
    (a dotted capital "İ" in the domain), or None for every other address."""
    domain = address.strip().rpartition("@")[2]
    if "@" not in address or canonical_domain(domain) == canonical_domain(fold(domain)):
        return None
    return (f"The domain {domain} reads as another domain once its capitals are folded; "
            "write it in lower case, as it is registered.")
