"""How long a text each column keeps, read from the models so no limit drifts from them.

PostgreSQL refuses a value longer than its `VARCHAR(n)` in the middle of the transaction
(a 500 to the client), where SQLite keeps it whole: the backends would disagree. So every
edge that takes text (the admin API's schemas, the console's and public pages' forms)
sizes its fields from here and refuses longer input before any write, and text the
server composes from stored values (an email subject) is shortened to fit instead.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import QueryableAttribute

ELLIPSIS = "…"


def column_length(column: QueryableAttribute[Any]) -> int:
    """The `n` of the `String(n)` behind a model attribute, e.g. `Product.name` -> 200."""
    length = getattr(column.property.columns[0].type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{column} is not a String(n) column")
    return length


def shortened(text: str, column: QueryableAttribute[Any]) -> str:
    """`text` cut to fit `column`, ending in an ellipsis when something was cut."""
    limit = column_length(column)
    if len(text) <= limit:
        return text
    return text[:limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
