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


def dotted_at_the_limit() -> str:
    """A valid address as long as `accounts.email` keeps, its local part all "İ". Its
    norm folds one character for one, so it fits `email_norm` as well; `str.lower()`,
    which made "İ" two characters, would not fit (such addresses used to be refused)."""
    found = address("İ" * 64, kept(Account.email))
    assert len(found.lower()) > kept(Account.email_norm)
    return found
