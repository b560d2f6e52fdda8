"""The one gate every request body passes before a view reads it.

A JSON document nested a thousand levels deep makes Python's parser (and every recursive
walk after it) raise `RecursionError`; a number like `1e999` or `10**30` reaches the
database as infinity or an integer no column holds. So, before any view runs, a body
that is not a form is measured without parsing it (`nesting_depth`, iterative and in C
string operations), and views parse with `loads`, which refuses NaN, infinities and
integers beyond 64 bits. Oversize bodies are refused by Flask's `MAX_CONTENT_LENGTH`.

Rejections raise `RejectedBody`; each blueprint's error mapper answers it in its own
shape (SCIM `invalidSyntax`, a problem document on the admin and public APIs).
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from flask import Flask, current_app, request

#: Deepest nesting of objects and arrays accepted. A SCIM Bulk request with an extension
#: attribute inside a multi-valued value is 6 deep; admin bodies are 2.
MAX_JSON_DEPTH = 32
#: Integers must fit a signed 64-bit column (PostgreSQL bigint, SQLite INTEGER).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN, _CLOSE = b"[{", b"]}"
# Every byte that is not a bracket goes; opening brackets become "(", closing ")".
_KEEP_BRACKETS = bytes.maketrans(_OPEN + _CLOSE, b"(())")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _OPEN + _CLOSE)


#: Routes with a size limit of their own (endpoint → limit in bytes, from the config):
#: a body over it is left for the route to refuse with its own 413 and detail.
OWN_SIZE_LIMITS: dict[str, Callable[[Any], int]] = {}


class RejectedBody(Exception):
    """A request body refused before parsing; `status` is 400."""

    status = 400

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def nesting_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of `raw` nest deeper than `limit` (strings ignored).

    Each pass deletes the innermost `()` pairs, so a pair of height h goes at pass h: if
    pairs remain after `limit` passes, something nests deeper. Brackets that never close
    also count, since a parser descends into them before it finds the body truncated.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(_KEEP_BRACKETS, _NOT_BRACKETS)
    for _ in range(limit):
        shorter = brackets.replace(b"()", b"")
        if len(shorter) == len(brackets):
            break
        brackets = shorter
    else:
        if b"()" in brackets:
            return True
    return brackets.count(b"(") > limit


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19:
        raise RejectedBody(f"the number {text[:24]}… is out of range: integers must fit in "
                           "64 bits")
    number = int(text)
    if not INT64_MIN <= number <= INT64_MAX:
        raise RejectedBody(f"the number {text} is out of range: integers must fit in 64 bits")
    return number


def _bounded_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise RejectedBody(f"the number {text} is out of range")
    return number


def _no_constant(name: str) -> Any:
    raise RejectedBody(f"{name} is not valid JSON (RFC 8259 §6): send a number or null")


def loads(raw: bytes | str) -> Any:
    """Parse a JSON body: depth checked first, numbers that no column can hold refused.

    Raises `RejectedBody` for those, `ValueError` for text that is not JSON at all.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    check_depth(data)
    return json.loads(data, parse_int=_bounded_int, parse_float=_bounded_float,
                      parse_constant=_no_constant)


def check_depth(raw: bytes) -> None:
    if nesting_depth_exceeds(raw):
        raise RejectedBody(f"the JSON body nests objects and arrays more than "
                           f"{MAX_JSON_DEPTH} levels deep")


def _gate() -> None:
    """Measure every non-form body before the view (and its parser) sees it."""
    if request.method in ("GET", "HEAD", "OPTIONS") and not request.content_length:
        return
    if (request.mimetype or "").lower() in FORM_TYPES:
        return
    if request.content_length is None:
        # Chunked: read up to one byte past the largest body any route accepts, so a route
        # with its own limit (Bulk's maxPayloadSize) still sees, and refuses, an oversize one.
        config = current_app.config["SCIM"]
        request.max_content_length = max(config.max_body_bytes,
                                         config.bulk_max_payload_bytes) + 1
    raw = request.get_data(cache=True)
    own_limit = OWN_SIZE_LIMITS.get(request.endpoint or "")
    if own_limit is not None and len(raw) > own_limit(current_app.config["SCIM"]):
        return
    check_depth(raw)


def own_size_limit(endpoint: str, limit: Callable[[Any], int]) -> None:
    """Let `endpoint` refuse bodies over `limit(config)` itself (Bulk: RFC 7644 §3.7.4)."""
    OWN_SIZE_LIMITS[endpoint] = limit


def init_app(app: Flask) -> None:
    app.before_request(_gate)
