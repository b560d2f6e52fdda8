"""Keep secrets out of logs, error bodies and metrics.

What counts as a secret: bearer tokens and keys (recognised by their prefixes, see
`services/secrets.py`), anything after `Bearer`/`Basic`, values of keys named like a
password, token, key or email body, passwords inside URLs, the bound parameters that
SQLAlchemy prints with a failed statement, and literal values registered at start-up
(the metrics token). Redaction works on text, so it also catches a secret that someone
formatted into a log message by accident.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Any

from ..services.secrets import PREFIXES

MASK = "[REDACTED]"

_PREFIXED = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in PREFIXES) + r")[A-Za-z0-9_\-]{4,}"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)([ \t]{1,8})[A-Za-z0-9._~+/=\-]+")
_SENSITIVE_KEYS = (r"password|passwd|pwd|secret|token|hash|api[_-]?key|admin[_-]?key"
                   r"|access[_-]?key|authorization|body[_-]?text|body[_-]?html|email[_-]?body")
# A sensitive key followed by `:` or `=` and a value: quoted (JSON, Python repr, escaped
# JSON inside JSON) or bare up to a separator (query strings, key=value logs).
# Every repetition is bounded and a key starts only at a word boundary, so hostile input
# costs a bounded amount of work per character (no catastrophic backtracking).
_KEY_VALUE = re.compile(
    r"(?i)(\\?[\"']?(?<![A-Za-z0-9_\-])(?:[A-Za-z0-9_\-]{0,40}?(?:" + _SENSITIVE_KEYS + r"))"
    r"\\?[\"']?[ \t]{0,8}[:=][ \t]{0,8})"
    r"(\\\"(?:[^\\]|\\(?!\")){0,65536}?\\\"|\"(?:[^\"\\]|\\.){0,65536}\"|'(?:[^'\\]|\\.){0,65536}'"
    r"|(?:(?:bearer|basic)[ \t]{1,8})?[^\s,&;{}\[\]()\"'\\]{1,4096})"
)
_URL_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]{0,30}://[^:/@\s]{1,256}:)[^@\s/]{1,256}@")
SQL_PARAMETERS = "[parameters: "  # SQLAlchemy prints a failed statement's values on one line
# The server's own words after `bearer`/`basic` ("the bearer token is unknown") and
# placeholders ("Bearer <key>") are hints, not secrets: a short lowercase word or a value
# in angle brackets stays; anything with a digit, a capital, a symbol or length is masked.
_PROSE_WORD = re.compile(r"[a-z]{1,12}")
_PLACEHOLDER = re.compile(r"(?i)(?:(?:bearer|basic)[ \t]{1,8})?<[a-z _\-]{1,40}>")

# Every pattern above needs one of these substrings to match at all; checking for them
# first (plain substring tests, in C) spares the regular expressions on the common line that
# holds no secret, such as the per-request log line (issue 15). Each hint list is derived
# from its pattern: a sensitive key contains one of _KEY_HINTS; a credential needs
# "bearer" or "basic"; a URL password needs "://"; a prefixed secret needs its prefix.
# Only ASCII text is pre-checked: case-insensitive matching also folds a few non-ASCII
# letters (the Kelvin sign, the long s) that `str.lower` does not, so other text always
# runs every pattern.
_KEY_HINTS = ("password", "passwd", "pwd", "secret", "token", "hash", "key",
              "authorization", "body")
_AUTH_HINTS = ("bearer", "basic")

_literals: set[str] = set()
_literals_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Treat this exact value as a secret from now on (configured tokens, passwords)."""
    if value and len(value) >= 8:
        with _literals_lock:
            _literals.add(value)


def redact(text: str) -> str:
    """Return `text` with every secret it contains replaced by a mask."""
    if not text:
        return text
    for literal in tuple(_literals):
        if literal in text:
            text = text.replace(literal, MASK)
    text = _mask_sql_parameters(text)
    ascii_text = text.isascii()
    lowered = text.lower() if ascii_text else ""
    if not ascii_text or any(hint in lowered for hint in _KEY_HINTS):
        text = _KEY_VALUE.sub(_mask_key_value, text)
    if not ascii_text or any(prefix in text for prefix in PREFIXES):
        text = _PREFIXED.sub(lambda m: m.group(1) + MASK, text)
    if not ascii_text or any(hint in lowered for hint in _AUTH_HINTS):
        text = _AUTH_SCHEME.sub(_mask_credential, text)
    if not ascii_text or "://" in text:
        text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)
    return text


def _mask_key_value(match: re.Match[str]) -> str:
    value = match.group(2)
    if _PLACEHOLDER.fullmatch(value) or _PLACEHOLDER.fullmatch(value + ">"):
        return match.group(0)
    return match.group(1) + _masked_like(value)


def _mask_credential(match: re.Match[str]) -> str:
    value = match.group(0)[len(match.group(1)) + len(match.group(2)):]
    if _PROSE_WORD.fullmatch(value):
        return match.group(0)
    return match.group(1) + match.group(2) + MASK


def _mask_sql_parameters(text: str) -> str:
    """Mask `[parameters: ...]` up to its closing bracket on the same (raw or escaped) line."""
    pieces: list[str] = []
    done = 0
    start = text.find(SQL_PARAMETERS)
    while start != -1:
        body = start + len(SQL_PARAMETERS)
        stop = body
        if not text.startswith(MASK, body):
            line_end = text.find("\n", body)
            line_end = len(text) if line_end == -1 else line_end
            escaped = text.find("\\n", body, line_end)  # a newline inside JSON text
            line_end = line_end if escaped == -1 else escaped
            close = text.rfind("]", body, line_end)
            stop = close + 1 if close != -1 else line_end
            pieces += [text[done:start], SQL_PARAMETERS, MASK, "]"]
            done = stop
        start = text.find(SQL_PARAMETERS, stop)
    return "".join(pieces) + text[done:] if pieces else text


def _masked_like(value: str) -> str:
    """Keep the quoting of the original value, so JSON stays JSON."""
    if value.startswith('\\"'):
        return '\\"' + MASK + '\\"'
    if value[:1] in ('"', "'"):
        return value[0] + MASK + value[0]
    return MASK


_SENSITIVE_KEY = re.compile(r"(?i)(" + _SENSITIVE_KEYS + ")")


def redact_value(value: Any) -> Any:
    """Redact a JSON-like structure: sensitive keys lose their values, strings are scanned."""
    if isinstance(value, dict):
        return {key: MASK if _is_secret_entry(key, item) else redact_value(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value


def _is_secret_entry(key: Any, item: Any) -> bool:
    """A scalar under a secret-sounding key; containers are searched instead."""
    return (isinstance(key, str) and bool(_SENSITIVE_KEY.search(key))
            and isinstance(item, str) and item != "")


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message and traceback in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
