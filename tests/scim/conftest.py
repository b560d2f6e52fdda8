"""Fixtures shared by the SCIM tests."""
from . import hypothesis_profiles
from .filter_world import make_world, world  # noqa: F401  (fixtures)

hypothesis_profiles.load()
