"""Fixtures shared by the SCIM tests."""
from .filter_world import make_world, world  # noqa: F401  (fixtures)
