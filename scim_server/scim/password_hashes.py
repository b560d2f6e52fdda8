"""Hash the passwords a request carries before its write transaction opens.

scrypt is slow on purpose (tens of milliseconds a password); a Bulk replacing 200
passwords would otherwise hold SQLite's write lock, or PostgreSQL row locks, for seconds
while every other writer waits. So each write view calls `prehash(body)` first: every
string a body could set as `password` (RFC 7643 §4.1.1, writeOnly) in a resource, a
PatchOp (RFC 7644 §3.5.2) or a Bulk request (§3.7) is hashed with no lock held, and
`hashed()` later hands the service the hash made for that plaintext.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from flask import g

from ..services import passwords
from .errors import ScimError

_MEMO = "scim_password_hashes"


def _is_password(name: Any) -> bool:
    """`password`, in any case, with or without its schema URN prefix."""
    return isinstance(name, str) and name.rsplit(":", 1)[-1].lower() == "password"


def candidates(body: Any) -> Iterator[str]:
    """Every string in `body` that may end up as a password, wherever it is nested."""
    if isinstance(body, dict):
        path = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "path"),
                    None)
        for key, value in body.items():
            if isinstance(value, str) and (_is_password(key) or (
                    isinstance(key, str) and key.lower() == "value" and _is_password(path))):
                yield value
            else:
                yield from candidates(value)
    elif isinstance(body, list):
        for item in body:
            yield from candidates(item)


def prehash(body: Any) -> None:
    """Hash every candidate password in `body` now, outside any transaction."""
    memo: dict[str, str] = g.setdefault(_MEMO, {})
    for plaintext in candidates(body):
        if plaintext not in memo:
            memo[plaintext] = passwords.hash_password(plaintext)


def prehash_body(body: Callable[[], Any]) -> None:
    """`prehash` a lazily read body; a body that cannot be read fails later, in its turn."""
    try:
        document = body()
    except ScimError:
        return  # reported in its turn, after the resource is looked up
    prehash(document)


def hashed(plaintext: str | None) -> str | None:
    """The hash `prehash` made for this password (made now if it was missed)."""
    if plaintext is None:
        return None
    memo: dict[str, str] = g.setdefault(_MEMO, {})
    if plaintext not in memo:
        memo[plaintext] = passwords.hash_password(plaintext)
    return memo[plaintext]
