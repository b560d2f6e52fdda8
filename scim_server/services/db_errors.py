"""Which database integrity failures a client caused, and which are server bugs.

A unique-constraint violation is a race two clients can lose honestly (both created
the same userName at once): it is a conflict (SCIM `uniqueness`, RFC 7644 §3.12). A
foreign-key, NOT NULL or CHECK failure means the server wrote something it should not
have: it must surface as a logged 500, never as a conflict the client would retry.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

#: SQLSTATE unique_violation (PostgreSQL, Appendix A "Error Codes").
UNIQUE_VIOLATION = "23505"


def is_unique_violation(error: IntegrityError) -> bool:
    """True when `error` is a unique-constraint (or primary-key) violation."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate is not None:
        return bool(sqlstate == UNIQUE_VIOLATION)
    message = str(original)
    return message.startswith("UNIQUE constraint failed") or message.startswith(
        "PRIMARY KEY must be unique")
