"""The RFC 7643 schema documents in `schemas/`, loaded once and asked about attributes.

Everything that depends on an attribute's characteristics (case rules, mutability,
`returned`, `required`, uniqueness; RFC 7643 §2.2 and §7) reads them from here, so the
documents served at `/Schemas` are the same ones the server enforces.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass(frozen=True)
class Attribute:
    """One attribute definition (RFC 7643 §7), with its sub-attributes by lower-case name."""

    name: str
    type: str
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: dict[str, "Attribute"] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "Attribute":
        subs = {s["name"].lower(): cls.from_document(s) for s in doc.get("subAttributes", [])}
        return cls(
            name=doc["name"],
            type=doc.get("type", "string"),
            multi_valued=bool(doc.get("multiValued", False)),
            required=bool(doc.get("required", False)),
            case_exact=bool(doc.get("caseExact", False)),
            mutability=doc.get("mutability", "readWrite"),
            returned=doc.get("returned", "default"),
            uniqueness=doc.get("uniqueness", "none"),
            canonical_values=tuple(doc.get("canonicalValues", ())),
            reference_types=tuple(doc.get("referenceTypes", ())),
            sub_attributes=subs,
        )

    def sub(self, name: str) -> "Attribute | None":
        return self.sub_attributes.get(name.lower())

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"


@dataclass(frozen=True)
class Schema:
    """One schema document: its URN and its top-level attributes."""

    id: str
    name: str
    attributes: dict[str, Attribute]
    document: dict[str, Any]

    def attribute(self, name: str) -> Attribute | None:
        return self.attributes.get(name.lower())


@dataclass(frozen=True)
class ResourceType:
    """A resource type (RFC 7643 §6): its core schema and its extensions."""

    id: str
    name: str
    endpoint: str
    schema: str
    extensions: tuple[tuple[str, bool], ...]
    document: dict[str, Any]

    @property
    def schema_ids(self) -> tuple[str, ...]:
        return (self.schema, *(urn for urn, _required in self.extensions))


@dataclass(frozen=True)
class AttributePath:
    """A resolved attribute path: `schema` URN, top-level `attribute`, optional `sub`."""

    schema: str
    attribute: Attribute
    sub: Attribute | None = None

    @property
    def target(self) -> Attribute:
        return self.sub or self.attribute

    @property
    def is_extension(self) -> bool:
        return self.schema not in (CORE_USER, CORE_GROUP, COMMON)

    @property
    def dotted(self) -> str:
        return self.attribute.name + (f".{self.sub.name}" if self.sub else "")


COMMON = "urn:scim-server:common"


def _common_attributes() -> dict[str, Attribute]:
    """`id`, `externalId` and `meta`: on every resource, outside any schema (RFC 7643 §3.1)."""
    read_only = dict(mutability="readOnly", case_exact=True)
    meta_subs = {
        "resourcetype": Attribute("resourceType", "string", **read_only),
        "created": Attribute("created", "dateTime", **read_only),
        "lastmodified": Attribute("lastModified", "dateTime", **read_only),
        "location": Attribute("location", "reference", **read_only),
        "version": Attribute("version", "string", **read_only),
    }
    return {
        "id": Attribute("id", "string", returned="always", uniqueness="server", **read_only),
        "externalid": Attribute("externalId", "string", case_exact=True),
        "meta": Attribute("meta", "complex", mutability="readOnly", sub_attributes=meta_subs),
    }


class UnknownAttribute(LookupError):
    """A path names no attribute of the resource type."""


class SchemaRegistry:
    """All schema documents and resource types, keyed for case-insensitive lookups."""

    def __init__(self, schemas: dict[str, Schema], resource_types: dict[str, ResourceType]):
        self.schemas = schemas
        self.resource_types = resource_types
        self.common = _common_attributes()

    @classmethod
    def load(cls, directory: Path) -> "SchemaRegistry":
        """Read every `*.json` schema and `resource-types/*.json` below `directory`."""
        schemas: dict[str, Schema] = {}
        for path in sorted(directory.glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            attrs = {a["name"].lower(): Attribute.from_document(a) for a in doc["attributes"]}
            schemas[doc["id"]] = Schema(doc["id"], doc["name"], attrs, doc)
        types: dict[str, ResourceType] = {}
        for path in sorted((directory / "resource-types").glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            extensions = tuple(
                (ext["schema"], bool(ext.get("required", False)))
                for ext in doc.get("schemaExtensions", [])
            )
            types[doc["name"]] = ResourceType(
                doc["id"], doc["name"], doc["endpoint"], doc["schema"], extensions, doc
            )
        for rtype in types.values():
            for urn in rtype.schema_ids:
                if urn not in schemas:
                    raise ValueError(f"resource type {rtype.name} names unknown schema {urn}")
        return cls(schemas, types)

    def resource_type(self, name: str) -> ResourceType:
        return self.resource_types[name]

    def extension_urns(self, resource_type: str) -> tuple[str, ...]:
        return tuple(urn for urn, _req in self.resource_types[resource_type].extensions)

    def iter_attributes(self, resource_type: str) -> Iterator[tuple[str, Attribute]]:
        """Every top-level attribute of the resource type, with the URN it belongs to."""
        rtype = self.resource_types[resource_type]
        for name, attr in self.common.items():
            yield COMMON, attr
        for urn in rtype.schema_ids:
            for attr in self.schemas[urn].attributes.values():
                yield urn, attr

    def split_urn(self, resource_type: str, path: str) -> tuple[str | None, str]:
        """Split `urn:...:User:name.givenName` into its schema URN and the rest.

        URNs compare case-insensitively (RFC 7644 §3.10); the longest match wins, so the
        enterprise extension is not mistaken for the core User schema.
        """
        lowered = path.lower()
        best: str | None = None
        for urn in self.resource_types[resource_type].schema_ids:
            if lowered.startswith(urn.lower()) and (best is None or len(urn) > len(best)):
                best = urn
        if best is None:
            return None, path
        rest = path[len(best):]
        if rest.startswith(":"):
            rest = rest[1:]
        elif rest:
            return None, path
        return best, rest

    def resolve(self, resource_type: str, path: str, sub: str | None = None) -> AttributePath:
        """Resolve `attr`, `attr.sub` or a URN-qualified path (RFC 7644 §3.10).

        Raises `UnknownAttribute` when nothing by that name exists.
        """
        urn, rest = self.split_urn(resource_type, path)
        if urn is not None and not rest:
            raise UnknownAttribute(path)
        name, _, dotted_sub = rest.partition(".")
        if dotted_sub and sub:
            raise UnknownAttribute(path)
        sub = dotted_sub or sub
        attribute, owner = self._find(resource_type, urn, name)
        if attribute is None:
            raise UnknownAttribute(path)
        sub_attribute = None
        if sub:
            sub_attribute = attribute.sub(sub)
            if sub_attribute is None:
                raise UnknownAttribute(f"{path}.{sub}" if not dotted_sub else path)
        return AttributePath(owner, attribute, sub_attribute)

    def _find(
        self, resource_type: str, urn: str | None, name: str
    ) -> tuple[Attribute | None, str]:
        lowered = name.lower()
        if urn is None:
            if lowered in self.common:
                return self.common[lowered], COMMON
            urn = self.resource_types[resource_type].schema
        attribute = self.schemas[urn].attribute(lowered)
        return attribute, urn
