"""List and search parameters (RFC 7644 §3.4.2, §3.4.3), from a query string or a body."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import InvalidCursor, InvalidSyntax, InvalidValue
from .projection import Projection, parse_projection
from .schema_registry import SchemaRegistry

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@dataclass(frozen=True)
class ListQuery:
    """A validated list request."""

    filter: str | None
    sort_by: str | None
    descending: bool
    start_index: int
    count: int
    projection: Projection
    #: None for index paging; "" asks for the first page of cursor paging (RFC 9865 §2).
    cursor: str | None = None


#: The largest startIndex a query uses: far past any table, and within every database's
#: OFFSET (a 64-bit integer). A larger one selects nothing either way.
MAX_START_INDEX = 2**62


def _integer(value: Any, name: str) -> int | None:
    """An integer parameter that fits 64 bits, as every JSON number in a body must."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidValue(f"{name} must be an integer")
    if isinstance(value, int):  # a .search body: the input gate kept it within 64 bits
        return max(-MAX_START_INDEX, min(value, MAX_START_INDEX))
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdigit():
            number = int(digits) if len(digits.lstrip("0")) <= 19 else 2**64
            number = -number if text.startswith("-") else number
            if not -(2**63) <= number < 2**63:
                raise InvalidValue(f"{name} is out of range: integers must fit in 64 bits")
            return max(-MAX_START_INDEX, min(number, MAX_START_INDEX))
    raise InvalidValue(f"{name} must be an integer, got {value!r}")


def parse_list_query(registry: SchemaRegistry, resource_type: str, params: Mapping[str, Any],
                     *, default_count: int, max_count: int) -> ListQuery:
    """Read the parameters; out-of-range paging values are clamped (RFC 7644 §3.4.2.4).

    startIndex below 1 is 1 and a negative count is 0, as the RFC says; a count above the
    server's maximum is the maximum, and a startIndex beyond any table is
    `MAX_START_INDEX`, which selects nothing. Integers past 64 bits are refused (400).
    """
    cursor = _cursor(params)
    start = _integer(params.get("startIndex"), "startIndex")
    if cursor is not None and start is not None:
        raise InvalidValue("startIndex and cursor cannot be used together: page by index "
                           "(startIndex) or by cursor (cursor), not both (RFC 9865 §2)")
    count = _integer(params.get("count"), "count")
    # RFC 7644 §3.4.2.4: startIndex < 1 is taken as 1; a negative count as 0.
    start = 1 if start is None or start < 1 else start
    count = default_count if count is None else max(0, min(count, max_count))
    order = params.get("sortOrder")
    if order is not None and (not isinstance(order, str)
                              or order.lower() not in ("ascending", "descending")):
        raise InvalidValue("sortOrder must be 'ascending' or 'descending'")
    filter_text = params.get("filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise InvalidValue("filter must be a string")
    sort_by = params.get("sortBy")
    if sort_by is not None and not isinstance(sort_by, str):
        raise InvalidValue("sortBy must be a string")
    projection = parse_projection(registry, resource_type, params.get("attributes"),
                                  params.get("excludedAttributes"))
    if projection.attributes and projection.excluded:
        raise InvalidValue("attributes and excludedAttributes cannot be used together")
    return ListQuery(filter_text or None, sort_by or None,
                     bool(order and order.lower() == "descending"), start, count, projection,
                     cursor)


def _cursor(params: Mapping[str, Any]) -> str | None:
    """`cursor`: absent for index paging, empty for the first page (RFC 9865 §2)."""
    value = params.get("cursor")
    if value is None:  # absent, or null in a .search body: unassigned (RFC 7643 §2.5)
        return None
    if not isinstance(value, str):
        raise InvalidCursor("cursor must be a string: empty for the first page, then the "
                            "nextCursor or previousCursor of the previous response")
    return value.strip()


def search_params(body: dict[str, Any], *, cursors: bool = False) -> dict[str, Any]:
    """The parameters of a POST `.search` body (RFC 7644 §3.4.3; `cursor`: RFC 9865 §2.3)."""
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or SEARCH_REQUEST not in schemas:
        raise InvalidSyntax(f"a search request must list the schema {SEARCH_REQUEST}")
    if body.get("cursor") is not None and not cursors:
        raise InvalidValue("cursor paging is offered on /Users/.search and /Groups/.search; "
                           "a search across resource types pages by startIndex")
    known = {"schemas", "attributes", "excludedAttributes", "filter", "sortBy", "sortOrder",
             "startIndex", "count", "cursor"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidSyntax(f"unknown search parameters: {', '.join(unknown)}")
    for name in ("attributes", "excludedAttributes"):
        if name in body and not isinstance(body[name], list):
            raise InvalidValue(f"{name} must be a list of attribute names")
    return {key: value for key, value in body.items() if key != "schemas"}


def list_response(resources: list[dict[str, Any]], total: int, start_index: int
                  ) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": len(resources),
        "startIndex": start_index,
        "Resources": resources,
    }
