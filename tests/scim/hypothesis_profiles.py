"""Hypothesis profiles for the SCIM property tests, chosen by `SCIM_HYPOTHESIS_PROFILE`.

- `ci` (the default): a real random search, bounded so the property tests take a minute
  or two on both backends; a failure prints the seed and the shrunk example to replay.
- `local`: a long search before a release or after touching parsing, filters or PATCH
  (`SCIM_HYPOTHESIS_PROFILE=local pytest tests/scim/test_fuzz.py`), about 25 times more.
- `replay`: the old fixed corpus (derandomized, 40 examples), for bisecting.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

ENV = "SCIM_HYPOTHESIS_PROFILE"
_COMMON = {"deadline": None, "database": None, "print_blob": True,
           "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large]}

settings.register_profile("ci", max_examples=100, **_COMMON)
settings.register_profile("local", max_examples=2500, **_COMMON)
settings.register_profile("replay", max_examples=40, derandomize=True, **_COMMON)


#: pytest-timeout per property test under each profile (setup.cfg's 300 s suits `ci`).
TIMEOUT_SECONDS = {"ci": 300, "local": 3600, "replay": 300}


def timeout_seconds() -> int:
    return TIMEOUT_SECONDS.get(os.environ.get(ENV, "ci"), 300)


def load() -> str:
    """Load the profile the environment names (`ci` when none); return its name."""
    name = os.environ.get(ENV, "ci")
    settings.load_profile(name)
    return name
