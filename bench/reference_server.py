"""The reference server, scim2-server (python-scim), in memory, under the same gunicorn.

Run as `python -m bench.reference_server --port P --token T`. The application is built as
the `scim2-server` command builds it (RFC 7643 schemas, default resource types and
service provider configuration, one static bearer token), but served by the gunicorn
settings of `scim-server serve` instead of wsgiref, so the comparison is of the SCIM
implementations, not of the HTTP servers. Its storage lives in the process, so it runs
one worker: several would each hold a different directory.

Like scim-server, it is seeded through its storage layer rather than over HTTP: the
wrapper answers `POST /_bench/users?start=&stop=` (create seeded users, return their
ids) and `POST /_bench/group?size=` (a group of the first `size` seeded users), each
validated with the service's own models. Everything else goes to the SCIM application.
"""
from __future__ import annotations

import argparse
import json
import secrets
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from scim2_models import Context, ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.utils import (load_default_resource_types, load_default_schemas,
                                load_default_service_provider_config)

from scim_server.cli.serve import GunicornServer, gunicorn_options

from .scenarios import user_body


def create_reference_app(token: str) -> "SeedingApp":
    """The `scim2-server` application with its defaults and one bearer token."""
    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []),
                                     BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(load_default_schemas().values(),
                                           load_default_resource_types().values(),
                                           config=config)
    service = ScimService(provider, secret=secrets.token_urlsafe(32))
    storage = InMemoryStorage()
    app = BearerTokenApplication(storage, provider, service=service, bearer_tokens=[token])
    return SeedingApp(app, service, storage, token)


class SeedingApp:
    """The SCIM application, plus the two seeding endpoints of the benchmark."""

    def __init__(self, app: BearerTokenApplication, service: ScimService,
                 storage: InMemoryStorage, token: str):
        self.app, self.service, self.storage, self.token = app, service, storage, token
        self.user_ids: list[str] = []
        self.types = {rt.name: rt for rt in service.provider.resource_types}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_bench/"):
            return self.app(environ, start_response)  # type: ignore[arg-type]
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"unauthorized"]
        query = {k: int(v[0]) for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/_bench/users":
            body: Any = self.seed_users(query["start"], query["stop"])
        elif path == "/_bench/group":
            body = self.seed_group(query["size"])
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    def _create(self, type_name: str, document: dict[str, Any]) -> str:
        rtype = self.types[type_name]
        model = self.service.get_model(rtype).model_validate(
            document, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        return str(self.storage.create(rtype, model).id)

    def seed_users(self, start: int, stop: int) -> list[str]:
        """Create users `start` .. `stop - 1` (as POST /Users would store them)."""
        if start != len(self.user_ids):
            raise ValueError(f"seeding must continue at {len(self.user_ids)}, not {start}")
        created = [self._create("User", user_body(i)) for i in range(start, stop)]
        self.user_ids.extend(created)
        return created

    def seed_group(self, size: int) -> str:
        """A group of the first `size` seeded users."""
        return self._create("Group", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": f"Bench group {size}",
            "members": [{"value": m, "type": "User"} for m in self.user_ids[:size]]})


class ReferenceServer(GunicornServer):
    """gunicorn with the benchmark's settings, loading the reference application."""

    def __init__(self, options: dict[str, Any], token: str):
        self.token = token
        super().__init__(options)

    def load(self) -> Any:
        return create_reference_app(self.token)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    options = gunicorn_options(args.host, args.port, workers=1)
    options["control_socket_disable"] = True  # several gunicorns run side by side
    ReferenceServer(options, args.token).run()


if __name__ == "__main__":
    main()
