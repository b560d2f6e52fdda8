"""The longest values the server keeps in its indexed columns.

RFC 7643 sets no length for `userName`, `externalId` or `displayName`; a server may
refuse a value it cannot store, with 400 `invalidValue` (RFC 7644 §3.12). Refusing here,
before any write, is what keeps PostgreSQL's `VARCHAR(n)` from failing mid-transaction
(a 500), and SQLite, which would store anything, answering differently.
"""
from __future__ import annotations

from typing import Any, Iterable

from .errors import InvalidValue

#: userName, externalId and displayName of users and groups (and a derived name.formatted).
NAME_LENGTH = 400
#: The email an account is known by: RFC 5321 §4.5.3.1 allows 64 + 1 + 255 octets.
EMAIL_LENGTH = 320
#: `type` and `display` of a multi-valued attribute's element (emails, phoneNumbers, ...).
VALUE_TYPE_LENGTH = 64
VALUE_DISPLAY_LENGTH = 400


def check(value: Any, limit: int, what: str) -> None:
    """Refuse a string longer than `limit` characters, saying which attribute it was."""
    if isinstance(value, str) and len(value) > limit:
        raise InvalidValue(f"{what} is {len(value):,} characters long; this server keeps at "
                           f"most {limit} (RFC 7644 §3.12)")


def check_names(**names: Any) -> None:
    """`check_names(userName=..., externalId=...)`: each against NAME_LENGTH."""
    for what, value in names.items():
        check(value, NAME_LENGTH, what)


def check_elements(attribute: str, elements: Iterable[Any]) -> None:
    """The `type` and `display` of each element of a multi-valued attribute."""
    for element in elements:
        if isinstance(element, dict):
            check(element.get("type"), VALUE_TYPE_LENGTH, f"{attribute}.type")
            check(element.get("display"), VALUE_DISPLAY_LENGTH, f"{attribute}.display")
