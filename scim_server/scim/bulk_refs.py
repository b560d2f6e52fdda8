"""The parts of a BulkRequest (RFC 7644 §3.7) that need no database: shape and references.

A request is checked as a whole (schemas, `Operations`, `failOnErrors`, unique
`bulkId`s) and each operation on its own (method, path, data), so one malformed
operation fails alone. `bulkId:<id>` references, in a path or as any string value in the
data (RFC 7644 §3.7.2), are collected here and replaced by the ids of the resources
their POSTs created once those exist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidSyntax, InvalidValue, ScimError
from .tolerances import OPERATIONS_KEY, Tolerances

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
METHODS = ("POST", "PUT", "PATCH", "DELETE")
ENDPOINTS = ("Users", "Groups")
REFERENCE_PREFIX = "bulkId:"
_PATH = re.compile(r"^/?(?P<endpoint>[A-Za-z]+)(?:/(?P<id>[^/?#]+))?/?$")
MAX_BULK_ID_LENGTH = 200


@dataclass
class BulkOperation:
    """One operation of the request, checked; `error` is set when it cannot run at all."""

    index: int
    method: str | None
    path: str | None = None
    bulk_id: str | None = None
    version: str | None = None
    data: Any = None
    references: set[str] = field(default_factory=set)
    error: ScimError | None = None


@dataclass
class BulkRequest:
    """A checked BulkRequest: its operations in request order and its error budget."""

    operations: list[BulkOperation]
    fail_on_errors: int | None


class TooManyOperations(Exception):
    """More operations than `maxOperations` (the caller answers 413, RFC 7644 §3.7.4)."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


def parse_bulk_request(body: dict[str, Any], max_operations: int,
                       tolerances: Tolerances) -> BulkRequest:
    """Check a BulkRequest message (RFC 7644 §3.7); request-wide problems raise at once."""
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or not any(
            isinstance(s, str) and s.lower() == BULK_REQUEST.lower() for s in schemas):
        raise InvalidSyntax(f"a bulk request must list the schema {BULK_REQUEST}")
    items = body.get("Operations")
    if items is None:
        key = next((k for k in body if k.lower() == "operations"), None)
        if key is None or not tolerances.use(OPERATIONS_KEY):
            raise InvalidSyntax("Operations is missing: a bulk request lists its operations")
        items = body[key]
    if not isinstance(items, list):
        raise InvalidSyntax("Operations must be a list of operations")
    if len(items) > max_operations:
        raise TooManyOperations(len(items))
    fail_on_errors = body.get("failOnErrors")
    if fail_on_errors is not None and (isinstance(fail_on_errors, bool)
                                       or not isinstance(fail_on_errors, int)
                                       or fail_on_errors < 1):
        raise InvalidSyntax("failOnErrors must be a positive integer: the number of errors "
                            "after which processing stops")
    operations = [parse_operation(index, item) for index, item in enumerate(items)]
    _refuse_duplicate_bulk_ids(operations)
    return BulkRequest(operations, fail_on_errors)


def parse_operation(index: int, item: Any) -> BulkOperation:
    """One operation; its problems are kept on it so the others still run."""
    if not isinstance(item, dict):
        return BulkOperation(index, None, error=InvalidSyntax(
            f"Operations[{index}] must be an object with method, path and data"))
    raw_method = item.get("method")
    method = raw_method.upper() if isinstance(raw_method, str) else None
    operation = BulkOperation(index, method if method in METHODS else None)
    bulk_id, path, version = item.get("bulkId"), item.get("path"), item.get("version")
    if isinstance(bulk_id, str):
        operation.bulk_id = bulk_id
    operation.error = _shape_error(method, bulk_id, path, version, item)
    if operation.error is None:
        assert method is not None and isinstance(path, str)
        operation.path, operation.version = path, version
        operation.data = item.get("data")
        operation.references = references_in(operation.data)
        _endpoint, target = parse_target(method, path)
        if target is not None and target.startswith(REFERENCE_PREFIX):
            operation.references.add(target[len(REFERENCE_PREFIX):])
    return operation


def _shape_error(method: str | None, bulk_id: Any, path: Any, version: Any,
                 item: dict[str, Any]) -> ScimError | None:
    if method not in METHODS:
        return InvalidSyntax(f"method must be one of {', '.join(METHODS)}, "
                             f"not {str(item.get('method'))[:40]!r}")
    if bulk_id is not None and (not isinstance(bulk_id, str) or not bulk_id
                                or len(bulk_id) > MAX_BULK_ID_LENGTH):
        return InvalidValue(f"bulkId must be a non-empty string of at most "
                            f"{MAX_BULK_ID_LENGTH} characters")
    if method == "POST" and bulk_id is None:
        return InvalidValue("a POST operation needs a bulkId (RFC 7644 §3.7)")
    if not isinstance(path, str):
        return InvalidSyntax("path is required: /Users or /Groups for POST, "
                             "/Users/{id} or /Groups/{id} otherwise")
    if version is not None and not isinstance(version, str):
        return InvalidValue('version must be an entity tag string, e.g. W/"3"')
    if method != "DELETE" and not isinstance(item.get("data"), dict):
        return InvalidSyntax(f"a {method} operation needs data: a JSON object")
    try:
        parse_target(method, path)
    except ScimError as error:
        return error
    return None


def _refuse_duplicate_bulk_ids(operations: list[BulkOperation]) -> None:
    seen: dict[str, int] = {}
    for operation in operations:
        if operation.bulk_id is None:
            continue
        if operation.bulk_id in seen:
            raise InvalidValue(f"bulkId {operation.bulk_id!r} is used by Operations"
                               f"[{seen[operation.bulk_id]}] and Operations[{operation.index}]; "
                               "each bulkId must be unique within a request")
        seen[operation.bulk_id] = operation.index


def parse_target(method: str, path: str, resolved: dict[str, str] | None = None
                 ) -> tuple[str, str | None]:
    """`/Users` or `/Groups[/{id}]` → (endpoint, id); POST names no id, the others one.

    An id written `bulkId:<id>` is replaced from `resolved` when it is given.
    """
    match = _PATH.match(path)
    endpoint = match.group("endpoint") if match else None
    resource_id = match.group("id") if match else None
    if endpoint not in ENDPOINTS:
        raise InvalidValue(f"path {path[:80]!r} names no endpoint Bulk serves: use /Users or "
                           "/Groups, followed by /{id} except for POST")
    if method == "POST" and resource_id is not None:
        raise InvalidValue(f"a POST goes to /{endpoint}, not to {path[:80]!r}")
    if method != "POST" and resource_id is None:
        raise InvalidValue(f"a {method} names one resource: /{endpoint}/{{id}}")
    assert endpoint is not None
    if resolved is not None and resource_id is not None:
        resource_id = substitute(resource_id, resolved)
    return endpoint, resource_id


def references_in(value: Any) -> set[str]:
    """The bulkIds that `value` refers to, as `bulkId:<id>` strings (RFC 7644 §3.7.2)."""
    found: set[str] = set()
    if isinstance(value, str):
        if value.startswith(REFERENCE_PREFIX):
            found.add(value[len(REFERENCE_PREFIX):])
    elif isinstance(value, list):
        for item in value:
            found |= references_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            found |= references_in(item)
    return found


def substitute(value: Any, resolved: dict[str, str]) -> Any:
    """`value` with each `bulkId:<id>` string replaced by the id its POST created."""
    if isinstance(value, str):
        if value.startswith(REFERENCE_PREFIX):
            return resolved.get(value[len(REFERENCE_PREFIX):], value)
        return value
    if isinstance(value, list):
        return [substitute(item, resolved) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, resolved) for key, item in value.items()}
    return value
