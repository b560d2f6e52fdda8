"""Discovery endpoints (RFC 7644 §4): what this server supports, told truthfully."""
from __future__ import annotations

import copy
from typing import Any

from flask import Response, request

from . import context, urls
from .blueprint import bp
from .errors import NotFound, ScimError, scim_response

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

#: Features switched on as their modules land; read by `/ServiceProviderConfig`.
CAPABILITIES: dict[str, bool] = {"bulk": True, "cursor": True}


def _refuse_filters() -> None:
    """Discovery endpoints ignore no parameter silently (RFC 7644 §4: filter → 403)."""
    if "filter" in request.args:
        raise ScimError("filtering is not supported on discovery endpoints", status=403)


def _with_location(document: dict[str, Any], path: str) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    doc.setdefault("meta", {})["location"] = f"{urls.base_url()}/{path}"
    return doc


def _list(resources: list[dict[str, Any]]) -> Response:
    return scim_response({
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "Resources": resources,
    })


@bp.get("/ServiceProviderConfig")
def service_provider_config() -> Response:
    _refuse_filters()
    cfg = context.config()
    body: dict[str, Any] = {
        "schemas": [SPC_SCHEMA],
        "documentationUri": f"{cfg.public_url}/docs",
        "patch": {"supported": True},
        "bulk": {
            "supported": CAPABILITIES["bulk"],
            "maxOperations": cfg.bulk_max_operations if CAPABILITIES["bulk"] else 0,
            "maxPayloadSize": cfg.bulk_max_payload_bytes if CAPABILITIES["bulk"] else 0,
        },
        "filter": {"supported": True, "maxResults": cfg.max_page_size},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "pagination": {
            "cursor": CAPABILITIES["cursor"],
            "index": True,
            "defaultPaginationMethod": "index",
            "defaultPageSize": cfg.default_page_size,
            "maxPageSize": cfg.max_page_size,
        },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A directory's SCIM token, sent as Authorization: Bearer <token>",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": True,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{urls.base_url()}/ServiceProviderConfig",
        },
    }
    return scim_response(body)


@bp.get("/Schemas")
def list_schemas() -> Response:
    _refuse_filters()
    reg = context.registry()
    return _list([_with_location(s.document, f"Schemas/{s.id}") for s in reg.schemas.values()])


@bp.get("/Schemas/<path:schema_id>")
def get_schema(schema_id: str) -> Response:
    reg = context.registry()
    for schema in reg.schemas.values():
        if schema.id.lower() == schema_id.lower():
            return scim_response(_with_location(schema.document, f"Schemas/{schema.id}"))
    raise NotFound(f"no schema {schema_id}")


@bp.get("/ResourceTypes")
def list_resource_types() -> Response:
    _refuse_filters()
    reg = context.registry()
    return _list([
        _with_location(t.document, f"ResourceTypes/{t.id}") for t in reg.resource_types.values()
    ])


@bp.get("/ResourceTypes/<type_id>")
def get_resource_type(type_id: str) -> Response:
    reg = context.registry()
    for rtype in reg.resource_types.values():
        if rtype.id.lower() == type_id.lower():
            return scim_response(_with_location(rtype.document, f"ResourceTypes/{rtype.id}"))
    raise NotFound(f"no resource type {type_id}")
