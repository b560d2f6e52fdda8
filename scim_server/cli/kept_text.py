"""Command-line text options sized by the column that keeps them.

The admin API and the forms refuse text longer than its column before any write
(services/column_lengths.py); the command line does the same, so `bootstrap --org` with
a 300-character name is a usage error naming the option and the limit, not a traceback
from PostgreSQL's `VARCHAR(n)` (SQLite would have kept it whole).
"""
from __future__ import annotations

from typing import Any

import click
from sqlalchemy.orm import QueryableAttribute

from ..services.column_lengths import column_length


class KeptText(click.ParamType):
    """A string at most as long as `column` keeps."""

    name = "text"

    def __init__(self, column: QueryableAttribute[Any]) -> None:
        self.limit = column_length(column)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value)
        if len(text) > self.limit:
            self.fail(f"is {len(text):,} characters long; at most {self.limit} are kept",
                      param, ctx)
        return text
