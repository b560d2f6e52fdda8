"""Between the SCIM User resource (RFC 7643 §4.1) and the stored user, both ways."""
from __future__ import annotations

from typing import Any

from ..models import DirectoryUser
from ..services.directory_users import VALUE_ATTRIBUTES, UserData
from ..services.email_addresses import check_email_address
from .schema_registry import CORE_USER, ENTERPRISE_USER
from .password_hashes import hashed
from .serializers import ParsedResource
from . import stored_lengths
from .urls import resource_url

RESOURCE_TYPE = "User"


def etag(version: int) -> str:
    """A weak entity tag from the row version (RFC 7644 §3.14)."""
    return f'W/"{version}"'


def parse_etag(header: str | None) -> int | None | bool:
    """The version an If-Match/If-None-Match names; `True` for `*`; None when absent."""
    if header is None:
        return None
    text = header.strip()
    if text == "*":
        return True
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    return int(text) if text.isdigit() else -1


def etag_matches(header: str | None, version: int) -> bool:
    """Whether an If-None-Match names this version, or is `*` (RFC 9110 §13.1.2).

    Compared with `is True`, never `in (version, True)`: `1 == True` in Python, so a
    tag naming version 1 would match every later version and answer 304 with stale data.
    """
    wanted = parse_etag(header)
    return wanted is True or (not isinstance(wanted, bool) and wanted == version)


def user_data(parsed: ParsedResource) -> UserData:
    """Plain data for the service, from a validated body or a patched document.

    Every `emails[].value` passes the one email rule (no control characters), so POST,
    PUT, PATCH and Bulk refuse such a value with 400 `invalidValue` before it is stored.
    """
    document = parsed.document
    for entry in document.get("emails") or []:
        if isinstance(entry, dict) and isinstance(entry.get("value"), str):
            check_email_address(entry["value"], what="emails value")
    values = {name: list(document.get(name) or []) for name in VALUE_ATTRIBUTES}
    for name, elements in values.items():
        stored_lengths.check_elements(name, elements)
    email = primary_email(document)
    if email is not None:
        check_email_address(email, what="userName used as the email address")
        stored_lengths.check(email, stored_lengths.EMAIL_LENGTH, "the primary email")
    display_name = document.get("displayName") or _formatted_name(document)
    stored_lengths.check_names(userName=document["userName"],
                               externalId=document.get("externalId"),
                               displayName=display_name)
    return UserData(
        user_name=document["userName"],
        attributes=document,
        external_id=document.get("externalId"),
        display_name=display_name,
        active=document.get("active", True) is not False,
        password_hash=hashed(parsed.password),
        email=email,
        values=values,
    )


def primary_email(document: dict[str, Any]) -> str | None:
    """The email that identifies the account: primary, else work, else first, else an
    email-shaped userName."""
    emails = [e for e in document.get("emails") or [] if isinstance(e.get("value"), str)]
    for choose in (lambda e: e.get("primary") is True, lambda e: e.get("type") == "work",
                   lambda e: True):
        for email in emails:
            if choose(email) and "@" in email["value"]:
                return str(email["value"]).strip()
    user_name = document.get("userName", "")
    return user_name.strip() if "@" in user_name and " " not in user_name.strip() else None


def _formatted_name(document: dict[str, Any]) -> str | None:
    name = document.get("name") or {}
    if name.get("formatted"):
        return str(name["formatted"])
    parts = [name.get("givenName"), name.get("familyName")]
    joined = " ".join(p for p in parts if p)
    return joined or None


def to_resource(user: DirectoryUser, groups: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The full User resource; projection (`attributes`, `returned`) is applied later."""
    document = dict(user.attributes or {})
    schemas = [CORE_USER]
    if document.get(ENTERPRISE_USER):
        schemas.append(ENTERPRISE_USER)
    resource: dict[str, Any] = {"schemas": schemas, "id": user.id}
    resource.update(document)
    if groups is not None:
        resource["groups"] = groups
    resource["meta"] = {
        "resourceType": RESOURCE_TYPE,
        "created": iso(user.created_at),
        "lastModified": iso(user.updated_at),
        "location": resource_url("Users", user.id),
        "version": etag(user.version),
    }
    return resource


def iso(value: Any) -> str:
    """RFC 3339 with a `Z`, as identity providers parse most reliably."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
