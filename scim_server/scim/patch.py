"""The SCIM PATCH engine (RFC 7644 §3.5.2): a PatchOp request applied to a document.

Pure Python, no database: the /Users and /Groups endpoints pass the resource's
attributes document (core attributes at the top level, extension attributes under
their URN; never `id`, `meta`, `schemas`, `password`, `groups` or `members`) and get
back a new one. The request applies atomically: one failing operation raises its SCIM
error and the input document is untouched. Group `members` are never materialised;
operations on them come back as `MemberChanges`. The identity-provider workarounds a
request needed are recorded on the `Tolerances` it was given (see `tolerances.py`).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .errors import InvalidSyntax, InvalidValue, Mutability, NoTarget, ScimError
from .patch_apply import DocumentPatcher, check_writable
from .patch_members import MemberChanges, apply_member_operation, is_members
from .patch_paths import Target, expand_value, parse_path
from .schema_registry import SchemaRegistry
from .tolerances import (MANAGER_SHAPES, OP_CASE, OPERATIONS_KEY, READONLY_ECHO,
                         REMOVE_VALUE_SELECTS, Tolerances)

__all__ = ["MemberChanges", "PatchOutcome", "apply_patch", "PATCH_OP", "MAX_OPERATIONS"]

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS = 1000
_OPS = ("add", "replace", "remove")
_ECHOED_KEYS = ("id", "schemas", "meta")


@dataclass
class PatchOutcome:
    """The result of a PATCH: the new document and what lives outside it."""

    document: dict[str, Any]
    password: str | None
    member_changes: MemberChanges | None
    changed: bool


@dataclass(frozen=True)
class _Operation:
    op: str
    path: Any
    value: Any


def apply_patch(registry: SchemaRegistry, resource_type: str, document: dict[str, Any],
                body: Any, tolerances: Tolerances, *,
                resource_id: str | None = None) -> PatchOutcome:
    """Apply a PatchOp request to `document` (RFC 7644 §3.5.2), all operations or none.

    `resource_id` is the resource's own id, which a path-less replace may echo back
    under the `readonly_echo` workaround. `changed` is False when the document, the
    password and the membership are left as they were.
    """
    mark = len(tolerances.fired)
    try:
        return _Engine(registry, resource_type, document, tolerances, resource_id).run(body)
    except ScimError:
        del tolerances.fired[mark:]  # a refused request used no workaround
        raise


class _Engine:
    def __init__(self, registry: SchemaRegistry, resource_type: str, document: dict[str, Any],
                 tolerances: Tolerances, resource_id: str | None):
        self.registry = registry
        self.resource_type = resource_type
        self.original = document
        self.tolerances = tolerances
        self.resource_id = resource_id
        self.patcher = DocumentPatcher(registry, copy.deepcopy(document), tolerances)
        self.password: str | None = None
        self.members: MemberChanges | None = None

    def run(self, body: Any) -> PatchOutcome:
        for index, operation in enumerate(self._operations(body)):
            try:
                self._apply(operation)
            except ScimError as error:
                where = f" {operation.path}" if isinstance(operation.path, str) else ""
                raise type(error)(f"Operations[{index}] ({operation.op}{where}): "
                                  f"{error.detail}", status=error.status) from error
        result = _normalized(self.patcher.document)
        members_changed = self.members is not None and bool(
            self.members.add or self.members.remove or self.members.replace_all is not None)
        changed = (result != _normalized(self.original)
                   or self.password is not None or members_changed)
        return PatchOutcome(result, self.password, self.members, changed)

    def _operations(self, body: Any) -> list[_Operation]:
        """The checked operations of a PatchOp message (RFC 7644 §3.5.2)."""
        if not isinstance(body, dict):
            raise InvalidSyntax("a PATCH body must be a JSON object (a PatchOp message)")
        schemas = body.get("schemas")
        if not isinstance(schemas, list) or not any(
                isinstance(s, str) and s.lower() == PATCH_OP.lower() for s in schemas):
            raise InvalidSyntax(f"schemas must list {PATCH_OP}")
        operations = body.get("Operations")
        if operations is None:
            key = next((k for k in body if k.lower() == "operations"), None)
            if key is None or not self.tolerances.use(OPERATIONS_KEY):
                raise InvalidSyntax("Operations is missing")
            operations = body[key]
        if not isinstance(operations, list) or not operations:
            raise InvalidSyntax("Operations must be a non-empty list")
        if len(operations) > MAX_OPERATIONS:
            raise InvalidSyntax(f"at most {MAX_OPERATIONS} operations fit in one PATCH")
        return [self._operation(index, item) for index, item in enumerate(operations)]

    def _operation(self, index: int, item: Any) -> _Operation:
        where = f"Operations[{index}]"
        if not isinstance(item, dict):
            raise InvalidSyntax(f"{where} must be an object with op, path and value")
        op = item.get("op")
        if not isinstance(op, str) or op.lower() not in _OPS:
            raise InvalidSyntax(f"{where}: op must be add, replace or remove, "
                                f"not {str(op)[:40]!r}")
        if op not in _OPS and not self.tolerances.use(OP_CASE):
            raise InvalidSyntax(f"{where}: op must be spelled in lower case, not {op!r}")
        op = op.lower()
        path = item.get("path")
        value = item.get("value")
        if op == "remove" and path is None:
            raise NoTarget(f"{where}: a remove needs a path (RFC 7644 §3.5.2.2)")
        if op != "remove" and "value" not in item:
            raise InvalidValue(f"{where}: an {op} needs a value")
        if op == "add" and value is None:
            raise InvalidValue(f"{where}: an add needs a value, and null is not one")
        return _Operation(op, path, value)

    def _apply(self, operation: _Operation) -> None:
        if operation.path is None:
            value = self._without_echo(operation.value)
            for target, item in expand_value(self.registry, self.resource_type, value,
                                             self.tolerances):
                self._dispatch(operation.op, target, item, path_less=True)
            return
        target = parse_path(self.registry, self.resource_type, operation.path,
                            self.tolerances)
        if target.attribute is None and operation.op != "remove":
            for sub_target, item in expand_value(self.registry, self.resource_type,
                                                 {target.schema: operation.value},
                                                 self.tolerances):
                self._dispatch(operation.op, sub_target, item, path_less=True)
            return
        self._dispatch(operation.op, target, operation.value, path_less=False)

    def _dispatch(self, op: str, target: Target, value: Any, *, path_less: bool) -> None:
        attribute = target.attribute
        if is_members(target):
            if path_less and value is None:
                value, op = None, "remove"
            self.members = self.members or MemberChanges()
            apply_member_operation(self.members, op, target, value, self.tolerances)
        elif attribute is not None and attribute.mutability == "writeOnly":
            self._write_only(op, target, value)
        elif op == "remove" and value is not None:
            self._remove_listed(target, value)
        elif op == "remove" or attribute is None:
            self.patcher.remove(target)
        else:
            self.patcher.write(op, target, value)

    def _write_only(self, op: str, target: Target, value: Any) -> None:
        """`password` is never stored in the document: it goes to `PatchOutcome.password`."""
        if op == "remove" or value is None:
            return  # nothing to unassign: a credential is not an attribute value here
        assert target.attribute is not None
        self.password = self.patcher.coerce(target.attribute, value, target.text)

    def _remove_listed(self, target: Target, value: Any) -> None:
        """A remove with a value: refused, or the listed elements under the workaround."""
        attribute = target.attribute
        selectable = (attribute is not None and attribute.multi_valued and attribute.is_complex
                      and target.value_filter is None and target.sub is None)
        check_writable(target)
        if self.patcher.is_manager(target) and self.tolerances.use(MANAGER_SHAPES):
            self.patcher.remove_named_manager(target, value)
            return
        if selectable and self.tolerances.use(REMOVE_VALUE_SELECTS):
            self.patcher.remove_listed(target, value)
            return
        raise InvalidValue("a remove carries no value (RFC 7644 §3.5.2.2): select what to "
                           "remove with a filter in its path")

    def _without_echo(self, value: Any) -> Any:
        """Drop `id`, `schemas` and `meta` a client echoed back, under `readonly_echo`."""
        if not isinstance(value, dict):
            return value
        echoed = [k for k in value if k.lower() in _ECHOED_KEYS]
        if not echoed:
            return value
        if not self.tolerances.allows(READONLY_ECHO) or not all(
                self._is_echo(k.lower(), value[k]) for k in echoed):
            raise Mutability(f"{', '.join(echoed)} cannot be changed: they are read-only")
        self.tolerances.use(READONLY_ECHO)
        return {k: v for k, v in value.items() if k not in echoed}

    def _is_echo(self, key: str, value: Any) -> bool:
        if key == "id":
            return self.resource_id is not None and value == self.resource_id
        if key == "schemas":
            known = {urn.lower() for urn in
                     self.registry.resource_type(self.resource_type).schema_ids}
            return isinstance(value, list) and all(
                isinstance(urn, str) and urn.lower() in known for urn in value)
        return isinstance(value, dict)


def _normalized(document: dict[str, Any]) -> dict[str, Any]:
    """The document without unassigned values: null, `[]` and `{}` (RFC 7643 §2.5)."""
    return {k: v for k, v in ((k, _pruned(v)) for k, v in document.items())
            if v not in (None, [], {})}


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        return _normalized(value)
    if isinstance(value, list):
        return [item for item in (_pruned(v) for v in value) if item not in (None, [], {})]
    return value
