"""Fixtures for the packaging tests: a wheel built from this tree, installed into a fresh
virtual environment outside the source tree."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import scim_server

SOURCE_ROOT = Path(scim_server.__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin/` folder of a fresh venv holding the wheel of this tree and its dependencies."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--disable-pip-version-check", str(SOURCE_ROOT), "-w", str(dist)],
                   check=True, cwd=work, timeout=300)
    wheels = list(dist.glob("scim_server-*.whl"))
    assert len(wheels) == 1, wheels
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", str(wheels[0])],
                   check=True, cwd=work, timeout=600)
    return venv / "bin"
