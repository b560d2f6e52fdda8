"""Passwords a directory sets on a user (RFC 7643 §4.1.1: writeOnly, returned never).

Kept only as a salted, slow hash (scrypt from the standard library): unlike bearer
secrets, passwords are chosen by people and can be guessed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash`, all parameters stored so they can be raised later."""
    salt = os.urandom(16)
    derived = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(derived).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Check a password against its stored hash in constant time."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    derived = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                             n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(derived, base64.b64decode(expected))
