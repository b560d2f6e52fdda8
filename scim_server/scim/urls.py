"""Absolute URLs of SCIM resources, for `meta.location`, `Location` and `$ref`."""
from __future__ import annotations

from flask import g

from . import context


def base_url() -> str:
    """`{SCIM_PUBLIC_URL}/scim/v2/directories/{id}`: the service provider's base URI."""
    return f"{context.config().public_url}/scim/v2/directories/{g.scim_directory_id}"


def resource_url(endpoint: str, resource_id: str) -> str:
    return f"{base_url()}/{endpoint}/{resource_id}"
