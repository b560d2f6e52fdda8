"""docs/configuration.md, rendered from the settings table in `config.py`.

Regenerate with `python3 -m scim_server.config_reference > docs/configuration.md`.
"""
from __future__ import annotations

from dataclasses import Field, fields
from typing import Any

from .config import Config, env_name


def _shown_default(item: Field[Any]) -> str:
    if item.metadata.get("shown"):
        return str(item.metadata["shown"])
    value = item.default
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return f"`{','.join(str(v) for v in value)}`" if value else "empty"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def reference_markdown() -> str:
    """docs/configuration.md, rendered from the table above."""
    lines = ["# Configuration reference", "",
             "Every setting comes from an environment variable. This page is generated from",
             "`scim_server/config.py`",
             "(`python3 -m scim_server.config_reference > docs/configuration.md`);",
             "a test fails when the two disagree. Why the rate-limit defaults are what they",
             "are: [operations.md](operations.md#rate-limits).", ""]
    rows = [item for item in fields(Config) if item.metadata.get("env", True)]
    for group in dict.fromkeys(item.metadata.get("group", "Other") for item in rows):
        lines += [f"## {group}", "", "| variable | default | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{env_name(item)}` | {_shown_default(item)} | "
                  f"{item.metadata.get('meaning', '')} |"
                  for item in rows if item.metadata.get("group", "Other") == group]
        lines.append("")
    return "\n".join(lines)




if __name__ == "__main__":
    print(reference_markdown(), end="")
