"""Add, replace and remove on an attributes document (RFC 7644 §3.5.2.1-3).

`DocumentPatcher` works on its own copy of the document, one resolved target at a
time; `patch.apply_patch` parses the request and drives it. Values are checked and
canonicalised by `values.coerce_value`; read-only sub-attributes inside a value are
dropped, as a PUT ignores read-only values (RFC 7644 §3.5.1).
"""
from __future__ import annotations

from typing import Any

from .errors import InvalidValue, Mutability, NoTarget
from .patch_paths import Target
from .schema_registry import ENTERPRISE_USER, Attribute, SchemaRegistry
from .tolerances import CREATE_ON_FILTER, MANAGER_SHAPES, STRING_BOOLEANS, Tolerances
from .values import coerce_value

Element = dict[str, Any]


class DocumentPatcher:
    """Applies resolved operations to `document`, which it owns and changes in place."""

    def __init__(self, registry: SchemaRegistry, document: dict[str, Any],
                 tolerances: Tolerances):
        self.document = document
        self.tolerances = tolerances
        enterprise = registry.schemas.get(ENTERPRISE_USER)
        self._manager = enterprise.attribute("manager") if enterprise else None

    def write(self, op: str, target: Target, value: Any) -> None:
        """An add or replace at `target`; a null value unassigns (RFC 7643 §2.5)."""
        attribute = target.attribute
        assert attribute is not None
        check_writable(target)
        if value is None:
            self.remove(target)
        elif attribute.multi_valued:
            self._write_multi(op, target, attribute, value)
        elif target.sub is not None:
            holder = self._holder(target, create=True)
            assert holder is not None
            parent = holder.setdefault(attribute.name, {})
            parent[target.sub.name] = self.coerce(target.sub, value, target.text)
        else:
            holder = self._holder(target, create=True)
            assert holder is not None
            new = self.coerce(attribute, value, target.text)
            if attribute.is_complex:
                nulls = _null_keys(attribute, value)
                new = {k: v for k, v in {**holder.get(attribute.name, {}), **new}.items()
                       if k not in nulls}
            _check_immutable(attribute, holder.get(attribute.name), new, target.text)
            holder[attribute.name] = new

    def remove(self, target: Target) -> None:
        """A remove at `target` (RFC 7644 §3.5.2.2); nothing there is not an error."""
        attribute = target.attribute
        check_writable(target)
        holder = self._holder(target, create=False)
        if attribute is None:
            self.document.pop(target.schema, None)
            return
        if target.sub is None and target.value_filter is None and attribute.required:
            raise Mutability(f"{attribute.name} is required and cannot be removed")
        if holder is None or holder.get(attribute.name) is None:
            return
        current = holder[attribute.name]
        _check_immutable(attribute, current, None, target.text)
        if not attribute.multi_valued:
            if target.sub is None:
                del holder[attribute.name]
            elif isinstance(current, dict):
                current.pop(target.sub.name, None)
            return
        selected = self._select(target, current)
        if target.sub is None:
            holder[attribute.name] = [e for e in current if not _contains(selected, e)]
        else:
            for element in selected:
                element.pop(target.sub.name, None)

    def remove_listed(self, target: Target, value: Any) -> None:
        """Remove the elements a remove's value lists, each matched on all its keys."""
        attribute = target.attribute
        assert attribute is not None
        check_writable(target)
        listed = self.coerce(attribute, value, target.text)
        if not all(listed):
            raise InvalidValue("each value of a remove must name the element to remove")
        holder = self._holder(target, create=False)
        if holder is None or not holder.get(attribute.name):
            return
        holder[attribute.name] = [
            e for e in holder[attribute.name]
            if not any(_same_element(attribute, entry, e) for entry in listed)
        ]

    def is_manager(self, target: Target) -> bool:
        return target.attribute is self._manager and target.sub is None

    def remove_named_manager(self, target: Target, value: Any) -> None:
        """Entra's remove of a manager by id: unset it only if it is still that manager."""
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        named = value.get("value") if isinstance(value, dict) else value
        if not isinstance(named, str) or not named:
            raise InvalidValue(f"{target.text}: a remove value names the manager by id")
        holder = self._holder(target, create=False)
        current = holder.get("manager") if holder else None
        if holder is not None and isinstance(current, dict) and current.get("value") == named:
            del holder["manager"]

    def coerce(self, attribute: Attribute, value: Any, path: str) -> Any:
        """`value` checked against `attribute`, with the profile's workarounds if needed."""
        if attribute is self._manager and self.tolerances.allows(MANAGER_SHAPES):
            if isinstance(value, str) or (isinstance(value, list) and len(value) == 1
                                          and isinstance(value[0], dict)):
                self.tolerances.use(MANAGER_SHAPES)
                value = {"value": value} if isinstance(value, str) else value[0]
        try:
            result = coerce_value(attribute, value, path=path)
        except InvalidValue:
            if not self.tolerances.allows(STRING_BOOLEANS):
                raise
            result = coerce_value(attribute, value, path=path, lenient=True)
            self.tolerances.use(STRING_BOOLEANS)
        return _without_read_only(attribute, result)

    def _write_multi(self, op: str, target: Target, attribute: Attribute, value: Any) -> None:
        holder = self._holder(target, create=True)
        assert holder is not None
        current: list[Element] = list(holder.get(attribute.name) or [])
        written: list[Element]
        if target.value_filter is None and target.sub is None:
            written = [e for e in self.coerce(attribute, value, target.text) if e]
            if op == "add":
                written = [e for e in _unique(written) if e not in current]
                current = current + written
            else:
                current = written = _unique(written)
        else:
            current, written = self._write_selected(op, target, attribute, current, value)
        _settle_primary(attribute, current, written, target.text)
        holder[attribute.name] = current

    def _write_selected(self, op: str, target: Target, attribute: Attribute,
                        current: list[Element], value: Any) -> tuple[list[Element],
                                                                     list[Element]]:
        """Write into the elements a filter (or a bare `.sub`) selects (RFC 7644 §3.5.2.3)."""
        sub = target.sub
        new: Any = self.coerce(sub, value, target.text) if sub else self._element(target, value)
        selected = self._select(target, current)
        if not selected:
            created = self._created(target, attribute, sub, new)
            return current + [created], [created]
        if sub is not None:
            for element in selected:
                element[sub.name] = new
            return current, selected
        written = []
        result = []
        for element in current:
            if _contains(selected, element):
                element = {**element, **new} if op == "add" else dict(new)
                written.append(element)
            result.append(element)
        return _unique(result), written

    def _created(self, target: Target, attribute: Attribute, sub: Attribute | None,
                 new: Any) -> Element:
        """The element an unmatched path describes, when creating it is allowed."""
        if target.value_filter is None:
            assert sub is not None
            return {sub.name: new}
        described = target.value_filter.as_element()
        if described is None or not self.tolerances.use(CREATE_ON_FILTER):
            raise NoTarget(f"no value of {attribute.name} matches {target.text!r}")
        return {**described, **({sub.name: new} if sub else new)}

    def _element(self, target: Target, value: Any) -> Element:
        attribute = target.attribute
        assert attribute is not None
        if not isinstance(value, dict):
            raise InvalidValue(f"{target.text} selects whole values of {attribute.name}: "
                               "value must be an object")
        element: Element = self.coerce(attribute, value, target.text)[0]
        return element

    def _select(self, target: Target, current: list[Element]) -> list[Element]:
        elements = [e for e in current if isinstance(e, dict)]
        if target.value_filter is None:
            return elements
        return [e for e in elements if target.value_filter.matches(e)]

    def _holder(self, target: Target, *, create: bool) -> dict[str, Any] | None:
        """The object that holds the target's attribute: the document or its extension."""
        if not target.is_extension:
            return self.document
        holder = self.document.get(target.schema)
        if not isinstance(holder, dict):
            if not create:
                return None
            holder = self.document[target.schema] = {}
        return holder


def check_writable(target: Target) -> None:
    """Refuse a change to a read-only attribute (RFC 7644 §3.5.2, RFC 7643 §2.2)."""
    for attribute in (target.attribute, target.sub):
        if attribute is not None and attribute.mutability == "readOnly":
            raise Mutability(f"{target.text} is read-only")


def _check_immutable(attribute: Attribute, current: Any, new: Any, path: str) -> None:
    """An immutable attribute may be set once, never changed or removed (RFC 7643 §2.2)."""
    if attribute.mutability == "immutable" and current is not None and current != new:
        raise Mutability(f"{path} is immutable and already has a value")


def _settle_primary(attribute: Attribute, elements: list[Element], written: list[Element],
                    path: str) -> None:
    """Keep one `primary: true`: the value this operation set wins (RFC 7643 §2.4)."""
    if attribute.sub("primary") is None:
        return
    winners = [e for e in written if e.get("primary") is True]
    if len(winners) > 1:
        raise InvalidValue(f"{path}: only one value of {attribute.name} may be primary")
    if winners:
        for element in elements:
            if element is not winners[0] and element.get("primary") is True:
                element["primary"] = False


def _without_read_only(attribute: Attribute, value: Any) -> Any:
    """Drop read-only sub-attributes a client echoed back inside a value."""
    if not attribute.is_complex:
        return value
    if isinstance(value, list):
        return [_without_read_only_one(attribute, v) for v in value]
    return _without_read_only_one(attribute, value)


def _without_read_only_one(attribute: Attribute, value: Element) -> Element:
    return {k: v for k, v in value.items()
            if (sub := attribute.sub(k)) is None or sub.mutability != "readOnly"}


def _null_keys(attribute: Attribute, value: Any) -> set[str]:
    """Canonical names of the sub-attributes a complex value sets to null (unassigns)."""
    if not isinstance(value, dict):
        return set()
    return {sub.name for k, v in value.items() if v is None and (sub := attribute.sub(k))}


def _same_element(attribute: Attribute, listed: Element, element: Any) -> bool:
    """Whether `element` has every sub-attribute value `listed` names (case rules apply)."""
    if not isinstance(element, dict):
        return False
    for name, wanted in listed.items():
        sub = attribute.sub(name)
        actual = element.get(name)
        if isinstance(wanted, str) and isinstance(actual, str) and sub and not sub.case_exact:
            wanted, actual = wanted.casefold(), actual.casefold()
        if actual != wanted:
            return False
    return True


def _contains(elements: list[Element], element: Element) -> bool:
    return any(element is e for e in elements)


def _unique(elements: list[Element]) -> list[Element]:
    """The elements without identical repeats, in order (RFC 7644 §3.5.2.1)."""
    result: list[Element] = []
    for element in elements:
        if element not in result:
            result.append(element)
    return result
