"""Who is acting: recorded on every audit event."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The credential or person behind a change (`type` is directory_token, admin_key,
    account, cli or system)."""

    type: str
    id: str | None = None
    request_id: str | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls("system")

    @classmethod
    def cli(cls) -> "Actor":
        return cls("cli")
