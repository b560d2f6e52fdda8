"""Bearer secrets (SCIM tokens, admin keys, invitation tokens): made, shown once, hashed.

Secrets are 256 random bits, so a fast hash is the right one: a slow hash would add
nothing against guessing and cost every request. Each kind carries a recognisable prefix
so secret scanners can find leaked ones.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

SCIM_TOKEN_PREFIX = "scimsrv_dt_"
ADMIN_KEY_PREFIX = "scimsrv_ak_"
INVITATION_PREFIX = "scimsrv_inv_"
PREFIXES = (SCIM_TOKEN_PREFIX, ADMIN_KEY_PREFIX, INVITATION_PREFIX)


def generate(prefix: str) -> str:
    """A new secret: the prefix, then 43 URL-safe characters (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    """Compare in constant time, so timing says nothing about how much matched."""
    return hmac.compare_digest(digest(secret), stored_digest)


def hint(secret: str) -> str:
    """What admins see later to tell secrets apart: the prefix and the last four characters."""
    prefix = next((p for p in PREFIXES if secret.startswith(p)), "")
    return f"{prefix}…{secret[-4:]}"


CREDENTIAL_KINDS = {SCIM_TOKEN_PREFIX: "a SCIM token", ADMIN_KEY_PREFIX: "an admin key",
                    INVITATION_PREFIX: "an invitation token"}


def credential_kind(secret: str) -> str | None:
    """What a secret is, told by its prefix ("an admin key"), or None when it has none."""
    return next((kind for prefix, kind in CREDENTIAL_KINDS.items()
                 if secret.startswith(prefix)), None)
