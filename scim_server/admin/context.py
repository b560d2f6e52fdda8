"""Per-request plumbing of the admin API: bodies, query strings, ETags, the transaction."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app, request
from marshmallow import Schema, ValidationError

from ..ops import input_gate
from .errors import Problem
from .text_gate import refuse_unstorable

JSON_MEDIA_TYPES = ("application/json",)


def load_body(schema: Schema) -> dict[str, Any]:
    """The JSON body, validated by `schema`; an empty body counts as `{}`."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return schema.load({})
    mimetype = (request.mimetype or "").lower()
    if mimetype not in JSON_MEDIA_TYPES and not mimetype.endswith("+json"):
        raise Problem(415, f"unsupported media type {mimetype or '(none)'}; send "
                      "application/json", slug="unsupported-media-type")
    try:
        body = input_gate.loads(raw)
    except input_gate.RejectedBody as exc:
        raise Problem(400, exc.detail, slug="malformed-body") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}", slug="malformed-body") from exc
    if not isinstance(body, dict):
        raise Problem(400, "the body must be a JSON object", slug="malformed-body")
    refuse_unstorable(body, "body", "malformed-body")
    return schema.load(body)


def load_query(schema: Schema) -> dict[str, Any]:
    """The query string, validated by `schema`; a repeated or unknown parameter is an error."""
    repeated = sorted(k for k, v in request.args.lists() if len(v) > 1)
    if repeated:
        raise Problem(400, "a query parameter was given more than once",
                      slug="invalid-query", errors={k: ["given more than once"] for k in repeated})
    refuse_unstorable(request.args.to_dict(flat=True), "query string", "invalid-query")
    try:
        return schema.load(request.args.to_dict(flat=True))
    except ValidationError as exc:
        raise Problem(400, "the query string has invalid parameters; see errors",
                      slug="invalid-query", errors=exc.messages) from exc


def etag_of(document: Any) -> str:
    """A strong ETag of the dumped representation (RFC 9110 §8.8.3)."""
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def check_if_match(current: Any) -> None:
    """Refuse (412) a change whose `If-Match` does not name the current representation.

    No `If-Match` means the client accepts last-writer-wins (RFC 9110 §13.1.1).
    """
    header = request.headers.get("If-Match")
    if header is None:
        return
    wanted = [tag.strip() for tag in header.split(",") if tag.strip()]
    if "*" in wanted:
        return
    current_tag = etag_of(current)
    if current_tag not in wanted:
        raise Problem(412, "the resource changed since you read it (If-Match does not match "
                      "its ETag); read it again and retry", slug="precondition-failed",
                      headers={"ETag": current_tag})


def public_url() -> str:
    return str(current_app.config["SCIM"].public_url)
