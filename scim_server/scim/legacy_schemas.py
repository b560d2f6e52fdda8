"""The pre-RFC core schema URN that OneLogin still sends, read as the RFC 7643 one.

Drafts of SCIM 2.0 named the core schema `urn:scim:schemas:core:2.0` (SCIM 1.1 used
`urn:scim:schemas:core:1.0`); RFC 7643 §8.7.1 fixed `urn:ietf:params:scim:schemas:core:
2.0:User` and `...:Group`. OneLogin's PUT still lists the draft URN in `schemas`, which
RFC 7644 §3.5.1 would refuse (the resource's schema must be named). Under a profile with
`legacy_schema_urn` the draft URN (alone, or with a `:User`/`:Group` suffix that matches
the resource) is replaced by the resource type's core URN, and the workaround counted.
"""
from __future__ import annotations

from typing import Any

from .tolerances import LEGACY_SCHEMA_URN, Tolerances

LEGACY_CORE_URN = "urn:scim:schemas:core:2.0"


def upgrade_legacy_schemas(body: dict[str, Any], core_urn: str,
                           tolerances: Tolerances) -> dict[str, Any]:
    """`body` with the draft core URN replaced by `core_urn`, when the profile allows it."""
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or not tolerances.allows(LEGACY_SCHEMA_URN):
        return body
    resource_name = core_urn.rsplit(":", 1)[-1].lower()
    legacy = {LEGACY_CORE_URN, f"{LEGACY_CORE_URN}:{resource_name}"}
    if not any(isinstance(s, str) and s.lower() in legacy for s in schemas):
        return body
    tolerances.use(LEGACY_SCHEMA_URN)
    upgraded = [s for s in schemas if not (isinstance(s, str) and s.lower() in legacy)]
    if core_urn.lower() not in {s.lower() for s in upgraded if isinstance(s, str)}:
        upgraded.insert(0, core_urn)
    return {**body, "schemas": upgraded}
