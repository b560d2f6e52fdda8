"""Marshmallow schemas for SCIM request bodies, built from the documents in `schemas/`.

One schema class per resource type is generated from the registry: a field per
attribute (type-checked by `values.coerce_value`), a nested field per extension URN.
Keys are canonicalised first (attribute names are case-insensitive, RFC 7643 §2.1),
read-only attributes are dropped as RFC 7644 §3.5.1 requires, and anything left that
the schema does not know is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load

from .errors import InvalidValue, ScimError
from .schema_registry import COMMON, Attribute, SchemaRegistry
from .values import coerce_value


@dataclass
class ParsedResource:
    """A validated resource body: the attributes document plus what is kept apart."""

    schemas: list[str]
    document: dict[str, Any]
    password: str | None


class AttributeField(fields.Field):
    """A field for one SCIM attribute; type rules come from its schema definition."""

    def __init__(self, attribute: Attribute, **kwargs: Any):
        super().__init__(data_key=attribute.name, allow_none=True, **kwargs)
        self.scim_attribute = attribute

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        lenient = bool(getattr(self.parent, "lenient_booleans", False))
        try:
            return coerce_value(self.scim_attribute, value, path=self.scim_attribute.name,
                                lenient=lenient)
        except ScimError as exc:
            raise ValidationError(exc.detail) from exc


class ResourceSchema(Schema):
    """Base of the generated schemas; see `resource_schema`."""

    resource_type: str = ""
    core_urn: str = ""
    extension_urns: tuple[str, ...] = ()
    read_only: frozenset[str] = frozenset()
    extension_fields: dict[str, str] = {}
    registry: SchemaRegistry

    class Meta:
        unknown = RAISE

    def __init__(self, *, lenient_booleans: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.lenient_booleans = lenient_booleans

    @pre_load
    def canonicalise(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, dict):
            raise ValidationError("the body must be a JSON object")
        body = canonical_body(self.registry, self.resource_type, data)
        for name in self.read_only:  # ignored, not refused (RFC 7644 §3.5.1)
            body.pop(name, None)
        return body

    @post_load
    def to_parsed(self, data: dict[str, Any], **_kwargs: Any) -> ParsedResource:
        schemas = data.pop("schemas", None) or []
        password = data.pop("password", None)
        for field_name, urn in self.extension_fields.items():
            if field_name in data:
                data[urn] = data.pop(field_name)
        document = {key: value for key, value in data.items()
                    if value not in (None, [], {}) and key not in self.read_only}
        for urn in self.extension_urns:
            if urn in document and not document[urn]:
                del document[urn]
        return ParsedResource(list(schemas), document, password)


def canonical_body(registry: SchemaRegistry, resource_type: str, data: dict[str, Any]
                   ) -> dict[str, Any]:
    """Rewrite keys to canonical names; fold `urn:...:attr` keys into their extension."""
    rtype = registry.resource_type(resource_type)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise ValidationError("attribute names must be strings")
        if key.lower() == "schemas":
            out["schemas"] = value
            continue
        urn, rest = registry.split_urn(resource_type, key)
        if urn is not None and urn != rtype.schema:
            if not rest:
                if not isinstance(value, dict):
                    raise ValidationError(f"{urn} must be an object", field_name=urn)
                merged = out.setdefault(urn, {})
                merged.update(_canonical_keys(registry.schemas[urn].attributes, value))
            else:
                ext = out.setdefault(urn, {})
                ext.update(_canonical_keys(registry.schemas[urn].attributes, {rest: value}))
            continue
        name = rest if urn is not None else key
        attribute = registry.common.get(name.lower()) or registry.schemas[rtype.schema].attribute(name)
        out[attribute.name if attribute else name] = value
    return out


def _canonical_keys(attributes: dict[str, Attribute], value: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in value.items():
        attribute = attributes.get(str(key).lower())
        result[attribute.name if attribute else key] = item
    return result


def _read_only(attribute: Attribute) -> bool:
    return attribute.mutability == "readOnly"


@lru_cache(maxsize=16)
def _schema_class(registry: SchemaRegistry, resource_type: str) -> type[ResourceSchema]:
    rtype = registry.resource_type(resource_type)
    attrs: dict[str, Any] = {"schemas": fields.List(fields.String(), required=True)}
    read_only: set[str] = set()
    for owner, attribute in registry.iter_attributes(resource_type):
        if owner != COMMON and owner != rtype.schema:
            continue
        attrs[attribute.name] = AttributeField(attribute)
        if _read_only(attribute):
            read_only.add(attribute.name)
    extension_fields: dict[str, str] = {}
    for number, urn in enumerate(registry.extension_urns(resource_type)):
        ext_fields = {a.name: AttributeField(a) for a in registry.schemas[urn].attributes.values()}
        extension = Schema.from_dict(ext_fields, name=f"Extension{number}")
        # URNs contain dots, which marshmallow reads as paths: load under a plain name.
        extension_fields[f"extension_{number}"] = urn
        attrs[f"extension_{number}"] = fields.Nested(extension(unknown=RAISE), data_key=urn)
    attrs.update(resource_type=resource_type, core_urn=rtype.schema,
                 extension_urns=registry.extension_urns(resource_type),
                 read_only=frozenset(read_only), registry=registry,
                 extension_fields=extension_fields)
    return type(f"{resource_type}ResourceSchema", (ResourceSchema,), attrs)


@lru_cache(maxsize=32)
def _schema(registry: SchemaRegistry, resource_type: str, lenient_booleans: bool
            ) -> ResourceSchema:
    """One schema instance per resource type and leniency, shared by every request.

    Building one deep-copies every declared field (a hundred for User); a loaded schema
    keeps no state between loads, so threads can share it.
    """
    return _schema_class(registry, resource_type)(lenient_booleans=lenient_booleans)


def load_resource(registry: SchemaRegistry, resource_type: str, body: dict[str, Any], *,
                  lenient_booleans: bool = False) -> ParsedResource:
    """Validate a POST/PUT body (RFC 7644 §3.3, §3.5.1) into a `ParsedResource`."""
    schema = _schema(registry, resource_type, lenient_booleans)
    parsed: ParsedResource = schema.load(body)
    core = registry.resource_type(resource_type).schema
    if core.lower() not in {str(s).lower() for s in parsed.schemas}:
        raise InvalidValue(f"schemas must include {core}")
    for name, attribute in registry.schemas[core].attributes.items():
        value = parsed.document.get(attribute.name)
        if attribute.required and not _read_only(attribute) and (
                value is None or (isinstance(value, str) and not value.strip())):
            raise InvalidValue(f"{attribute.name} is required and cannot be empty")
    return parsed
