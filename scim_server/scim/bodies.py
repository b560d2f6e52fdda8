"""What the write endpoints share, whether a request arrives alone or inside a Bulk.

A body is validated against its resource type with the directory's workarounds, and a
version named by `If-Match` (or by a bulk operation's `version`) is checked before any
change, so the routes and `/Bulk` behave the same way for the same input.
"""
from __future__ import annotations

from typing import Any, Callable

from marshmallow import ValidationError

from . import context
from .errors import PreconditionFailed
from .legacy_schemas import upgrade_legacy_schemas
from .serializers import ParsedResource, load_resource
from .tolerances import STRING_BOOLEANS, Tolerances
from .user_mapping import etag, parse_etag

#: Where a body comes from: read only once the target resource and its version are known,
#: so a missing resource is a 404 and a stale `If-Match` a 412 whatever the body holds.
BodySource = Callable[[], Any]


def load_body(resource_type: str, body: dict[str, Any], tolerances: Tolerances
              ) -> ParsedResource:
    """Validate a POST/PUT body (RFC 7644 §3.3, §3.5.1), counting `string_booleans` if used.

    The strict reading comes first; only when it fails and the profile accepts booleans
    sent as strings is the lenient reading tried, so the workaround is counted exactly
    when a request needed it.
    """
    registry = context.registry()
    body = upgrade_legacy_schemas(body, registry.resource_type(resource_type).schema, tolerances)
    try:
        return load_resource(registry, resource_type, body)
    except ValidationError:
        if not tolerances.allows(STRING_BOOLEANS):
            raise
    parsed = load_resource(registry, resource_type, body, lenient_booleans=True)
    tolerances.use(STRING_BOOLEANS)
    return parsed


def expected_version(current: int, if_match: str | None) -> int | None:
    """The version `If-Match` names (RFC 7644 §3.14); a stale one fails with 412 at once."""
    wanted = parse_etag(if_match)
    if wanted is None or wanted is True:
        return None
    if wanted != current:
        raise PreconditionFailed(f"If-Match {if_match} does not match the current version "
                                 f"{etag(current)}")
    return current
