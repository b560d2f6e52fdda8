"""Check and normalise attribute values against their schema definition (RFC 7643 §2.3).

Attribute names are case-insensitive (RFC 7643 §2.1): incoming keys are rewritten to the
schema's canonical spelling, so stored documents and filters agree on one name. Values
of the wrong type are refused with `invalidValue`, never stored.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import InvalidValue
from .schema_registry import Attribute


def parse_datetime(value: str) -> datetime:
    """An `xsd:dateTime` (RFC 7643 §2.3.5); a zone-less value is taken as UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        from datetime import timezone

        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def coerce_value(attribute: Attribute, value: Any, *, path: str, lenient: bool = False) -> Any:
    """The value checked against `attribute` (multi-valued or not), keys canonicalised.

    `lenient` accepts booleans sent as the strings "True"/"False", which some identity
    providers do; callers pass it only for directories whose profile allows it.
    """
    if value is None:
        return None
    if attribute.multi_valued:
        items = value if isinstance(value, list) else [value]
        coerced = [coerce_single(attribute, item, path=path, lenient=lenient) for item in items
                   if item is not None]
        check_one_primary(attribute, coerced, path)
        return coerced
    if isinstance(value, list):
        raise InvalidValue(f"{path} is single-valued; a list was given")
    return coerce_single(attribute, value, path=path, lenient=lenient)


def check_one_primary(attribute: Attribute, values: list[Any], path: str) -> None:
    """`"primary": true` MUST appear no more than once (RFC 7643 §2.4).

    No identity provider is known to send two primaries, so no profile tolerates it:
    which one the sender meant cannot be guessed, and it decides the account's email.
    """
    if attribute.is_complex and attribute.sub("primary") is not None:
        primaries = sum(1 for value in values if value.get("primary") is True)
        if primaries > 1:
            raise InvalidValue(f"{path}: {primaries} values have \"primary\": true; at most "
                               "one may (RFC 7643 §2.4)")


def coerce_single(attribute: Attribute, value: Any, *, path: str, lenient: bool = False) -> Any:
    """One value (an element, for a multi-valued attribute) of the attribute's type."""
    kind = attribute.type
    if kind == "complex":
        if not isinstance(value, dict):
            raise InvalidValue(f"{path} must be an object with sub-attributes")
        return coerce_complex(attribute, value, path=path, lenient=lenient)
    if kind in ("string", "reference"):
        if not isinstance(value, str):
            raise InvalidValue(f"{path} must be a string")
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if lenient and isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise InvalidValue(f"{path} must be a boolean (true or false)")
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"{path} must be an integer")
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise InvalidValue(f"{path} must be a number")
        return value
    if kind == "dateTime":
        if not isinstance(value, str):
            raise InvalidValue(f"{path} must be a dateTime string (RFC 3339)")
        try:
            parse_datetime(value)
        except ValueError as exc:
            raise InvalidValue(f"{path} is not a valid dateTime: {value!r}") from exc
        return value
    if kind == "binary":
        if not isinstance(value, str):
            raise InvalidValue(f"{path} must be base64-encoded binary")
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidValue(f"{path} is not valid base64") from exc
        return value
    raise InvalidValue(f"{path} has an unsupported type {kind}")


def coerce_complex(attribute: Attribute, value: dict[str, Any], *, path: str,
                   lenient: bool = False) -> dict[str, Any]:
    """A complex value with canonical sub-attribute names; unknown sub-attributes refused."""
    result: dict[str, Any] = {}
    for key, item in value.items():
        sub = attribute.sub(key)
        if sub is None:
            raise InvalidValue(f"{path} has no sub-attribute {key!r}")
        if sub.type == "complex":
            raise InvalidValue(f"{path}.{key}: complex sub-attributes are not allowed")
        if item is None:
            continue
        result[sub.name] = coerce_value(sub, item, path=f"{path}.{sub.name}", lenient=lenient)
    return result
