"""`attributes` / `excludedAttributes` and the `returned` characteristic (RFC 7644 §3.4.2.5,
RFC 7643 §7): which parts of a resource a response carries."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .errors import InvalidValue
from .schema_registry import COMMON, AttributePath, SchemaRegistry, UnknownAttribute


@dataclass(frozen=True)
class Projection:
    """The resolved projection of one request; empty means "the default set"."""

    attributes: tuple[AttributePath, ...] = ()
    excluded: tuple[AttributePath, ...] = ()

    def wants(self, schema: str, name: str) -> bool:
        """Whether a top-level attribute will appear at all (to skip work, e.g. groups)."""
        lowered = name.lower()
        if self.attributes:
            return any(p.schema == schema and p.attribute.name.lower() == lowered
                       for p in self.attributes)
        return not any(p.schema == schema and p.attribute.name.lower() == lowered and p.sub is None
                       for p in self.excluded)


def parse_projection(registry: SchemaRegistry, resource_type: str,
                     attributes: Iterable[str] | str | None,
                     excluded: Iterable[str] | str | None) -> Projection:
    """Resolve both lists; an unknown name is a 400 that names it."""
    return Projection(_resolve(registry, resource_type, attributes, "attributes"),
                      _resolve(registry, resource_type, excluded, "excludedAttributes"))


def _resolve(registry: SchemaRegistry, resource_type: str,
             names: Iterable[str] | str | None, parameter: str) -> tuple[AttributePath, ...]:
    if names is None:
        return ()
    if isinstance(names, str):
        names = names.split(",")
    resolved = []
    for raw in names:
        if not isinstance(raw, str):
            raise InvalidValue(f"{parameter} must list attribute names")
        name = raw.strip()
        if not name:
            continue
        try:
            resolved.append(registry.resolve(resource_type, name))
        except UnknownAttribute as exc:
            raise InvalidValue(f"{parameter} names an unknown attribute {name!r}") from exc
    return tuple(resolved)


def apply_projection(registry: SchemaRegistry, resource_type: str, resource: dict[str, Any],
                     projection: Projection) -> dict[str, Any]:
    """Narrow a full resource: `always` stays, `never` goes, `request` only when asked."""
    rtype = registry.resource_type(resource_type)
    out: dict[str, Any] = {"schemas": resource.get("schemas", [])}
    for key, value in resource.items():
        if key == "schemas":
            continue
        if key in rtype.schema_ids[1:]:
            extension = _project_container(registry, resource_type, key, value, projection)
            if extension:
                out[key] = extension
            continue
        schema = COMMON if key.lower() in registry.common else rtype.schema
        kept = _project_attribute(registry, resource_type, schema, key, value, projection)
        if kept is not None:
            out[key] = kept
    return out


def _project_container(registry: SchemaRegistry, resource_type: str, urn: str,
                       value: dict[str, Any], projection: Projection) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, item in value.items():
        projected = _project_attribute(registry, resource_type, urn, key, item, projection)
        if projected is not None:
            kept[key] = projected
    return kept


def _project_attribute(registry: SchemaRegistry, resource_type: str, schema: str, name: str,
                       value: Any, projection: Projection) -> Any:
    try:
        definition = registry.resolve(resource_type, name if schema in (COMMON,) or
                                      schema == registry.resource_type(resource_type).schema
                                      else f"{schema}:{name}").attribute
    except UnknownAttribute:
        return None
    returned = definition.returned
    if returned == "never":
        return None
    if returned == "always":
        return value
    lowered = name.lower()
    matches = [p for p in projection.attributes
               if p.schema == schema and p.attribute.name.lower() == lowered]
    if projection.attributes:
        if not matches:
            return None
        if any(p.sub is None for p in matches):
            return value
        return _only_subs(value, {p.sub.name for p in matches if p.sub})
    if returned == "request":
        return None
    excluded = [p for p in projection.excluded
                if p.schema == schema and p.attribute.name.lower() == lowered]
    if any(p.sub is None for p in excluded):
        return None
    if excluded:
        return _without_subs(value, {p.sub.name for p in excluded if p.sub})
    return value


def _only_subs(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_only_subs(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in subs}
    return value


def _without_subs(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_without_subs(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in subs}
    return value
