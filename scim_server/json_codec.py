"""Response JSON through orjson, with the standard library as the fallback (issue 15).

Encoding the response body was a visible share of a small request's CPU; orjson writes
the same document several times faster. What comes out is the JSON the standard library
writes in compact form (`separators=(",", ":")`): the same keys in the same order, the
same values, UTF-8 text. Whatever orjson would write differently, or refuses, goes to
`json.dumps` instead: integers beyond 64 bits, non-string keys, lone surrogates, types
orjson knows natively but the standard library does not (datetimes, dataclasses, str/int
subclasses are handed to the caller's `default` as `json.dumps` would), floats written
with an exponent (orjson writes `1e-7` where Python writes `1e-07`: any `<digit>e<digit>`
in the output sends the document to the fallback, strings included, which only costs
time), and, for Flask's `ensure_ascii`, any non-ASCII output. NaN and infinities, which
orjson writes as `null`, never reach a response: request bodies refuse them
(`ops/input_gate.py`). orjson is optional: without it, everything takes the fallback.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from flask import Response
from flask.json.provider import DefaultJSONProvider

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is in install_requires
    orjson = None  # type: ignore[assignment]

_EXPONENT = re.compile(rb"\de[-+]?\d")
_PASSTHROUGH = 0 if orjson is None else (orjson.OPT_PASSTHROUGH_DATETIME
                                         | orjson.OPT_PASSTHROUGH_DATACLASS
                                         | orjson.OPT_PASSTHROUGH_SUBCLASS)


def fast_dumps(obj: Any, *, default: Callable[[Any], Any] | None = None,
               sort_keys: bool = False, ascii_only: bool = False) -> bytes | None:
    """Compact JSON bytes from orjson, or None when only `json.dumps` may answer."""
    if orjson is None:
        return None
    try:
        out = orjson.dumps(obj, default=default,
                           option=_PASSTHROUGH | (orjson.OPT_SORT_KEYS if sort_keys else 0))
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return None
    if (ascii_only and not out.isascii()) or _EXPONENT.search(out):
        return None
    return out


def dumps(obj: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """A SCIM body: compact UTF-8 JSON (RFC 7644 §3.1 media type; no escaping needed)."""
    fast = fast_dumps(obj, default=default)
    if fast is not None:
        return fast
    return json.dumps(obj, default=default, ensure_ascii=False,
                      separators=(",", ":")).encode()


class FastJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, encoding compact responses through `fast_dumps`."""

    def response(self, *args: Any, **kwargs: Any) -> Response:
        pretty = (self.compact is None and self._app.debug) or self.compact is False
        if not pretty:
            obj = self._prepare_response_obj(args, kwargs)
            fast = fast_dumps(obj, default=self.default, sort_keys=self.sort_keys,
                              ascii_only=self.ensure_ascii)
            if fast is not None:
                return self._app.response_class(fast + b"\n", mimetype=self.mimetype)
        return super().response(*args, **kwargs)
