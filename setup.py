"""Build hook: the wheel carries the schema documents and the migrations inside the package.

`schemas/` and `migrations/` live at the top of the source tree (the schema documents are
data the project serves, and Alembic's layout is conventional there). A wheel has no such
tree, so the build copies both into `scim_server/_bundled/`; `scim_server.resources`
finds them there when installed and at the top of the checkout otherwise.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED_TREES = ("schemas", "migrations")


class BuildPyWithData(build_py):
    """`build_py` that also copies the top-level data trees into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the checkout itself
        source_root = Path(__file__).resolve().parent
        for name in BUNDLED_TREES:
            target = Path(self.build_lib) / "scim_server" / "_bundled" / name
            shutil.copytree(source_root / name, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithData})
