"""`/admin/v1/docs`: the OpenAPI document as a page a person can read.

Rendered on the server from the same document `/admin/v1/openapi.json` serves, so the
two never disagree. Plain HTML with an inline style sheet: no CDN, no script, nothing to
download; it works in any browser and in `curl`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from typing import Any

from flask import Response, current_app

from .blueprint import bp
from .openapi import build_document

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;
color:#172b4d}
code,pre{font:13px ui-monospace,monospace;background:#f4f5f7;padding:0 .2em}
h2{border-bottom:1px solid #dfe1e6;margin-top:2.5rem}
.op{border:1px solid #dfe1e6;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.method{display:inline-block;min-width:4.5em;font-weight:700}
.GET{color:#006644}.POST{color:#0747a6}.PUT,.PATCH{color:#974f0c}.DELETE{color:#bf2600}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #dfe1e6;padding:.2rem .5rem;
text-align:left;vertical-align:top}nav ul{columns:3}
"""


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(schema: dict[str, Any]) -> str:
    """A short, linked description of a JSON Schema's type."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    for combiner in ("anyOf", "oneOf", "allOf"):
        if combiner in schema:
            return " | ".join(_type_of(part) for part in schema[combiner])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " | ".join(str(k) for k in kind)
    if kind == "array" and "items" in schema:
        return f"array of {_type_of(schema['items'])}"
    extra = f" ({escape(schema['format'])})" if "format" in schema else ""
    if "enum" in schema:
        extra += " one of " + ", ".join(f"<code>{escape(json.dumps(v))}</code>"
                                        for v in schema["enum"])
    return escape(str(kind)) + extra + _length_of(schema)


def _length_of(schema: dict[str, Any]) -> str:
    """`maxLength` (and `minLength`) in words: the longest text the server keeps there."""
    if "maxLength" not in schema:
        return ""
    low = schema.get("minLength")
    span = f"{low} to {schema['maxLength']}" if low else f"at most {schema['maxLength']}"
    return f", {span} characters"


def _fields_table(schema: dict[str, Any]) -> str:
    properties = schema.get("properties") or {}
    if not properties:
        return ""
    required = set(schema.get("required") or [])
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code>{' (required)' if name in required else ''}</td>"
        f"<td>{_type_of(field)}</td><td>{escape(field.get('description', ''))}</td></tr>"
        for name, field in properties.items())
    return f"<table><tr><th>field</th><th>type</th><th>meaning</th></tr>{rows}</table>"


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    anchor = escape(op.get("operationId", f"{method}-{path}"))
    parts = [f'<div class="op" id="{anchor}"><p><span class="method {method.upper()}">'
             f"{method.upper()}</span> <code>{escape(path)}</code></p>",
             f"<p><strong>{escape(op.get('summary', ''))}</strong></p>"]
    if op.get("description"):
        parts.append(f"<p>{escape(op['description'])}</p>")
    params = [p for p in op.get("parameters", []) if "name" in p]
    if params:
        parts.append("<p>Parameters: " + ", ".join(
            f"<code>{escape(p['name'])}</code> ({escape(p['in'])}"
            f"{', required' if p.get('required') else ''}: {_type_of(p.get('schema', {}))})"
            for p in params) + "</p>")
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if body:
        parts.append(f"<p>Body: {_type_of(body.get('schema', {}))}</p>")
    answers = []
    for status, answer in op.get("responses", {}).items():
        content = next(iter(answer.get("content", {}).values()), {})
        shape = f": {_type_of(content['schema'])}" if content.get("schema") else ""
        answers.append(f"<code>{escape(status)}</code> {escape(answer.get('description', ''))}"
                       f"{shape}")
    parts.append("<p>Answers: " + "; ".join(answers) + "</p></div>")
    return "".join(parts)


def render(document: dict[str, Any]) -> str:
    """The whole page: operations grouped by tag, then every schema with its fields."""
    info = document.get("info", {})
    by_tag: dict[str, list[str]] = {}
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            for tag in op.get("tags") or ["other"]:
                by_tag.setdefault(tag, []).append(_operation(path, method, op))
    schemas = document.get("components", {}).get("schemas", {})
    nav = "".join(f'<li><a href="#tag-{escape(tag)}">{escape(tag)}</a></li>'
                  for tag in sorted(by_tag))
    sections = "".join(f'<h2 id="tag-{escape(tag)}">{escape(tag)}</h2>{"".join(ops)}'
                       for tag, ops in sorted(by_tag.items()))
    schema_html = "".join(
        f'<h3 id="schema-{escape(name)}">{escape(name)}</h3>{_fields_table(schema)}'
        for name, schema in sorted(schemas.items()))
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(info.get('title', 'API'))} reference</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{escape(info.get('title', 'API'))}</h1>"
        f"<p>{escape(info.get('description', ''))} Version {escape(str(info.get('version')))}."
        " Every path below starts with the server's address; send the admin key as "
        "<code>Authorization: Bearer &lt;key&gt;</code>. Machine-readable: "
        '<a href="openapi.json">openapi.json</a>. Worked examples: docs/guide.md.</p>'
        f"<nav><ul>{nav}<li><a href=\"#schemas\">schemas</a></li></ul></nav>{sections}"
        f'<h2 id="schemas">Schemas</h2>{schema_html}</body></html>')


@lru_cache(maxsize=1)
def _cached_page() -> str:
    return render(build_document())


def reference_page() -> Response:
    return current_app.response_class(_cached_page(), mimetype="text/html")


bp.add_url_rule("/docs", endpoint="reference", view_func=reference_page, methods=["GET"])
