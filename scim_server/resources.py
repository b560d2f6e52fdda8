"""Where the files that travel with the code are: inside an installed wheel, or in a checkout.

A wheel carries `schemas/` and `migrations/` under `scim_server/_bundled/` (setup.py copies
them at build time); a checkout or an editable install keeps them at the top of the tree.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DIR = PACKAGE_DIR / "_bundled"
PROJECT_ROOT = PACKAGE_DIR.parent


def data_dir(name: str) -> Path:
    """The directory `name` (`schemas` or `migrations`) wherever this installation keeps it."""
    bundled = BUNDLED_DIR / name
    return bundled if bundled.is_dir() else PROJECT_ROOT / name
