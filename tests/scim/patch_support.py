"""Shared helpers for the PATCH engine tests: the registry, documents, a request runner."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from scim_server.scim.patch import PATCH_OP, PatchOutcome, apply_patch
from scim_server.scim.schema_registry import SchemaRegistry
from scim_server.scim.tolerances import Tolerances, tolerances_for

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = SchemaRegistry.load(ROOT / "schemas")
FIXTURES = ROOT / "tests" / "fixtures"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_ID = "2819c223-7f76-453a-919d-413861904646"
NOT_IN_DOCUMENT = ("schemas", "id", "meta", "password", "groups")


def rfc_user() -> dict[str, Any]:
    """RFC 7643 §8.2's full user as an attributes document (no id, meta, password, groups)."""
    full = json.loads((FIXTURES / "rfc7643-8.2-user-full.json").read_text(encoding="utf-8"))
    return {k: v for k, v in full.items() if k not in NOT_IN_DOCUMENT}


def rfc_patch(name: str) -> dict[str, Any]:
    """One of the RFC 7644 §3.5.2 example requests, by section and title."""
    examples = json.loads((FIXTURES / "rfc7644-3.5.2-patch-examples.json").read_text("utf-8"))
    return copy.deepcopy(examples[name])


def body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def run(document: dict[str, Any], *operations: dict[str, Any], resource_type: str = "User",
        profile: str = "generic", tolerances: Tolerances | None = None,
        resource_id: str | None = None) -> tuple[PatchOutcome, Tolerances]:
    """Apply `operations` and return the outcome with the tolerances that were used."""
    tolerances = tolerances or tolerances_for(profile)
    outcome = apply_patch(REGISTRY, resource_type, document, body(*operations), tolerances,
                          resource_id=resource_id)
    return outcome, tolerances


def patched(document: dict[str, Any], *operations: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """The new document after `operations`."""
    return run(document, *operations, **kwargs)[0].document
