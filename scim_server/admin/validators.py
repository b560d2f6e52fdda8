"""Field validators the admin API needs beyond marshmallow's own.

Text fields are sized by the column that keeps them (`services/column_lengths.py`), so a
value PostgreSQL would refuse mid-transaction (a 500) is a 422 naming the field and the
limit, on both backends, before anything is written. Each is a `validate.Length` (or a
`validate.Regexp`), so the OpenAPI document states it as `maxLength` (or `pattern`) and
the schemathesis fuzz run tries the boundary.
"""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validate
from sqlalchemy.orm import QueryableAttribute

from ..services.column_lengths import column_length
from ..services.email_addresses import EMAIL_LENGTH, email_too_long


def kept_length(column: QueryableAttribute[Any], *, required: bool = False) -> validate.Length:
    """At most as long as `column` keeps (and not empty when `required`)."""
    return validate.Length(min=1 if required else None, max=column_length(column))


class StoredEmail(validate.Length):
    """An address the server can keep: the column's length (its norm is never longer)."""

    def __init__(self) -> None:
        super().__init__(max=EMAIL_LENGTH)

    def __call__(self, value: str) -> str:
        problem = email_too_long(value)
        if problem is not None:
            raise ValidationError(problem)
        return value


class WholeRegexp(validate.Regexp):
    """`validate.Regexp` matched against the whole value: Python's `$` also matches before
    a final new line, so `^[a-z]+$` alone would let "jira\\n" through."""

    def __call__(self, value: str | bytes) -> str | bytes:
        if self.regex.fullmatch(value) is None:  # type: ignore[arg-type]
            raise ValidationError(self._format_error(value))
        return value
