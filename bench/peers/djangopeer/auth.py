"""One static bearer token, checked in memory (django-scim2 leaves authentication to the
project: its `SCIMAuthCheckMiddleware` only asks whether `request.user` is authenticated)."""
from __future__ import annotations

import hmac
import os
from typing import Any, Callable

from django.contrib.auth.models import AnonymousUser


class _ServiceClient:
    """The provisioning client, as django-scim2 sees it: authenticated, never stored."""

    is_authenticated = True
    is_anonymous = False


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response
        self.expected = f"Bearer {os.environ['PEER_TOKEN']}".encode()

    def __call__(self, request: Any) -> Any:
        given = request.META.get("HTTP_AUTHORIZATION", "").encode()
        request.user = (_ServiceClient() if hmac.compare_digest(given, self.expected)
                        else AnonymousUser())
        return self.get_response(request)
