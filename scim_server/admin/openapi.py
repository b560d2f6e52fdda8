"""The OpenAPI 3.1 document of the admin API, generated from the endpoint declarations
and their marshmallow schemas (never written by hand), served at `/admin/v1/openapi.json`."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Response, current_app, json
from marshmallow import Schema, fields

from .auth import PERMISSIONS, PUBLIC, scopes_with
from .blueprint import ENDPOINTS, Endpoint, bp, endpoint
from .errors import PROBLEM_MEDIA_TYPE
from .serializers import ProblemSchema

PREFIX = "/admin/v1"
ERROR_STATUSES = {
    400: "Malformed body, query or cursor", 401: "Missing, unknown, expired or revoked key",
    403: "The key's scopes do not allow this", 404: "Not found in this organization",
    409: "Conflict (seat limit, managed by a directory, duplicate)",
    412: "If-Match does not match the current ETag", 413: "Body too large",
    415: "Body is not JSON", 422: "Invalid fields (see `errors`)",
}


class LinksSchema(Schema):
    next = fields.String(required=True, allow_none=True)


class MetaSchema(Schema):
    total = fields.Integer(required=True)


_PAGES: dict[type[Schema], type[Schema]] = {}


def page_schema(item: type[Schema]) -> type[Schema]:
    """The list envelope `{"data", "links", "meta"}` around an item schema."""
    if item not in _PAGES:
        name = item.__name__.removesuffix("Schema") + "PageSchema"
        _PAGES[item] = type(name, (Schema,), {
            "data": fields.List(fields.Nested(item), required=True),
            "links": fields.Nested(LinksSchema, required=True),
            "meta": fields.Nested(MetaSchema, required=True),
        })
    return _PAGES[item]


def _path(rule: str) -> str:
    return PREFIX + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _operation(spec: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": spec.name, "summary": spec.summary, "tags": [spec.tag]}
    params: list[dict[str, Any]] = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", spec.rule)]
    if spec.query is not None:
        params.append({"in": "query", "schema": spec.query})
    if params:
        op["parameters"] = params
    if spec.permission != PUBLIC:
        op["description"] = (f"Needs permission `{spec.permission}` "
                             f"({PERMISSIONS[spec.permission]}); scopes: "
                             f"{', '.join(scopes_with(spec.permission))}.")
        op["x-permission"] = spec.permission
    else:
        op["security"] = []
    if spec.body is not None:
        op["requestBody"] = {"required": False,
                             "content": {"application/json": {"schema": spec.body}}}
    responses: dict[str, Any] = {}
    for status in spec.statuses:
        if status == 204 or spec.response is None:
            responses[str(status)] = {"description": "Done; no content"}
            continue
        schema = page_schema(spec.response) if spec.paged else spec.response
        responses[str(status)] = {"description": "OK" if status == 200 else "Created",
                                  "content": {"application/json": {"schema": schema}}}
        if not spec.paged:
            responses[str(status)]["headers"] = {"ETag": {"schema": {"type": "string"}}}
    for status, text in ERROR_STATUSES.items():
        responses[str(status)] = {"description": text, "content": {
            PROBLEM_MEDIA_TYPE: {"schema": ProblemSchema}}}
    op["responses"] = responses
    return op


def build_document() -> dict[str, Any]:
    """The whole OpenAPI document, from `ENDPOINTS`."""
    spec = APISpec(title="scim-server admin API", version="1", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Organizations decide who may use which product. "
                                        "Errors are RFC 9457 problem documents."})
    spec.components.security_scheme("adminKey", {"type": "http", "scheme": "bearer"})
    spec.options["security"] = [{"adminKey": []}]
    paths: dict[str, dict[str, Any]] = {}
    for item in ENDPOINTS:
        paths.setdefault(_path(item.rule), {})[item.method.lower()] = _operation(item)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"adminKey": []}]
    return document


@lru_cache(maxsize=1)
def _cached_json() -> str:
    return json.dumps(build_document())


@endpoint("/openapi.json", "GET", permission=PUBLIC, tag="meta",
          summary="This OpenAPI document")
def openapi_document() -> Response:
    return current_app.response_class(_cached_json(), mimetype="application/json")


__all__ = ["bp", "build_document", "page_schema"]
