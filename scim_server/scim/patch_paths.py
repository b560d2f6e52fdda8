"""PATCH paths and the keys of path-less values, resolved against the schema registry.

`PATH = attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2, Figure 7): an attribute,
optionally URN-qualified (§3.10), optionally `.sub`, or a value filter on a
multi-valued complex attribute followed by an optional `.sub`. Names are
case-insensitive (RFC 7643 §2.1); every target carries the schema's canonical names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import InvalidPath, InvalidValue
from .patch_filters import ValueFilter, parse_value_filter
from .schema_registry import Attribute, SchemaRegistry, UnknownAttribute
from .tolerances import ATTRIBUTE_PATH_KEYS, Tolerances

MAX_PATH_LENGTH = 1000
_SUB_ATTRIBUTE = re.compile(r"\.([A-Za-z$][A-Za-z0-9_$-]*)")


@dataclass(frozen=True)
class Target:
    """Where an operation lands: an attribute (or a whole extension), a filter, a sub."""

    text: str
    schema: str
    attribute: Attribute | None
    is_extension: bool
    value_filter: ValueFilter | None = None
    sub: Attribute | None = None

    @property
    def leaf(self) -> Attribute | None:
        """The attribute whose value the operation sets: the sub if there is one."""
        return self.sub or self.attribute


def parse_path(registry: SchemaRegistry, resource_type: str, text: Any,
               tolerances: Tolerances) -> Target:
    """Resolve a PATCH `path`; `invalidPath` when it is malformed or names nothing."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidPath("path must be a non-empty string")
    if len(text) > MAX_PATH_LENGTH:
        raise InvalidPath(f"path is longer than {MAX_PATH_LENGTH} characters")
    head, filter_text, tail = _split_brackets(text)
    extension = _extension_urn(registry, resource_type, head)
    if extension is not None and filter_text is None:
        return Target(text, extension, None, True)
    try:
        resolved = registry.resolve(resource_type, head)
    except UnknownAttribute:
        raise InvalidPath(f"path {text!r} names no attribute of a {resource_type}") from None
    if filter_text is None:
        return Target(text, resolved.schema, resolved.attribute, resolved.is_extension,
                      None, resolved.sub)
    attribute = resolved.attribute
    if resolved.sub is not None or not (attribute.multi_valued and attribute.is_complex):
        raise InvalidPath(f"path {text!r}: a value filter applies only to a multi-valued "
                          "complex attribute")
    value_filter = parse_value_filter(filter_text, attribute, tolerances, path=text)
    sub = None
    if tail:
        match = _SUB_ATTRIBUTE.fullmatch(tail)
        sub = attribute.sub(match.group(1)) if match else None
        if sub is None:
            raise InvalidPath(f"path {text!r}: {tail!r} is not a sub-attribute of "
                              f"{attribute.name}")
    return Target(text, resolved.schema, attribute, resolved.is_extension, value_filter, sub)


def _split_brackets(text: str) -> tuple[str, str | None, str]:
    """`attr[filter].sub` into its three parts; brackets inside quotes do not count."""
    start = text.find("[")
    if start < 0:
        if "]" in text:
            raise InvalidPath(f"path {text!r} has an unbalanced ']'")
        return text, None, ""
    in_quotes = False
    for index in range(start + 1, len(text)):
        char = text[index]
        if char == '"':
            in_quotes = not in_quotes
        elif char == "]" and not in_quotes:
            tail = text[index + 1:]
            if "[" in tail or "]" in tail:
                raise InvalidPath(f"path {text!r} has more than one value filter")
            return text[:start], text[start + 1:index], tail
    raise InvalidPath(f"path {text!r} has an unclosed '['")


def _extension_urn(registry: SchemaRegistry, resource_type: str, text: str) -> str | None:
    """The canonical URN when `text` is exactly one of the resource type's extensions."""
    lowered = text.lower()
    return next((urn for urn in registry.extension_urns(resource_type)
                 if urn.lower() == lowered), None)


def expand_value(registry: SchemaRegistry, resource_type: str, value: Any,
                 tolerances: Tolerances) -> list[tuple[Target, Any]]:
    """The (target, value) pairs of a path-less add or replace (RFC 7644 §3.5.2.1/3).

    Keys are attribute names, or schema URNs whose object holds that schema's
    attributes; a key that is an attribute path (`name.givenName`,
    `urn:...:User:department`) needs the `attribute_path_keys` workaround.
    """
    if not isinstance(value, dict):
        raise InvalidValue("without a path, value must be an object of attributes")
    core = registry.resource_type(resource_type).schema
    pairs: list[tuple[Target, Any]] = []
    for key, item in value.items():
        extension = _extension_urn(registry, resource_type, key)
        if extension is not None or key.lower() == core.lower():
            urn = extension or core
            if item is None and extension is not None:
                pairs.append((Target(key, extension, None, True), None))
                continue
            if not isinstance(item, dict):
                raise InvalidValue(f"{key} must be an object of that schema's attributes")
            # Some clients echo the extension's own `schemas` inside it: nothing to apply.
            pairs.extend((_key_target(registry, resource_type, f"{urn}:{sub_key}", tolerances,
                                      qualified=True), sub_item)
                         for sub_key, sub_item in item.items()
                         if str(sub_key).lower() != "schemas")
            continue
        pairs.append((_key_target(registry, resource_type, key, tolerances), item))
    return pairs


def _key_target(registry: SchemaRegistry, resource_type: str, key: str,
                tolerances: Tolerances, *, qualified: bool = False) -> Target:
    """The target a key of a path-less value names."""
    urn, rest = registry.split_urn(resource_type, key)
    is_path = "." in rest or (":" in key and not qualified)
    if "[" in key or "]" in key:
        # Entra (aadOptscim062020) sends `emails[type eq "work"].value` as a key: a full
        # attribute path, read as the `path` of its own operation.
        if not tolerances.use(ATTRIBUTE_PATH_KEYS):
            raise InvalidValue(f"{key!r}: a value's keys cannot hold a value filter")
        try:
            return parse_path(registry, resource_type, key, tolerances)
        except InvalidPath as error:
            raise InvalidValue(error.detail) from None
    try:
        resolved = registry.resolve(resource_type, key)
    except UnknownAttribute:
        raise InvalidValue(f"{key!r} is not an attribute of a {resource_type}") from None
    if is_path and not tolerances.use(ATTRIBUTE_PATH_KEYS):
        raise InvalidValue(f"{key!r} is an attribute path; a value's keys are attribute names")
    return Target(key, resolved.schema, resolved.attribute, resolved.is_extension, None,
                  resolved.sub)
