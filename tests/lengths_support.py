"""Column lengths as the models declare them, and addresses built to a given length.

Tests of the length limits take their expected numbers from here, that is from the
columns themselves, never from the validation code they check.
"""
from __future__ import annotations

from sqlalchemy.orm import InstrumentedAttribute

from scim_server.models import Account


def kept(column: InstrumentedAttribute) -> int:
    """The length the model declares for `column` (`String(n)`)."""
    length = column.property.columns[0].type.length
    assert isinstance(length, int), f"{column} has no declared length"
    return length


def address(local: str, length: int) -> str:
    """`local@...test`, exactly `length` characters, in domain labels of at most 63."""
    domain = "test"
    while (room := length - len(local) - 1 - len(domain)) > 0:
        size = room - 1 if room <= 64 else 63 if room - 64 >= 2 else 62
        domain = "a" * size + "." + domain
    assert len(local) + 1 + len(domain) == length
    return f"{local}@{domain}"


def lower_case_too_long() -> str:
    """A valid address that fits `accounts.email` but whose lower-case form, kept in
    `email_norm` to find it again, does not: "İ".lower() is two characters."""
    found = address("İ" * 64, kept(Account.email))
    assert len(found.lower()) > kept(Account.email_norm)
    return found
