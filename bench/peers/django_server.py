"""django-scim2 under the server's own gunicorn settings, and its seeding hook.

`python -m bench.peers.django_server migrate` creates the tables;
`python -m bench.peers.django_server serve --port P --workers N` serves the peer with the
settings `scim-server serve` uses (gthread workers × 4 threads). The environment carries
the database and the token (see `djangopeer/settings.py`).

Like the other targets, it is seeded through its storage layer: `POST /_bench/users?start=&stop=`
bulk-creates seeded users (the same documents as `bench/seed.py`) and returns their ids;
`POST /_bench/group` with `{"members": [ids]}` makes a group of those users. Everything else
goes to Django.
"""
from __future__ import annotations

import argparse
import hmac
import json
import os
import sys
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.djangopeer.settings")

from scim_server.cli.serve import GunicornServer, gunicorn_options  # noqa: E402

from ..seed import user_document  # noqa: E402

BATCH = 2_000


def seed_users(start: int, stop: int) -> list[str]:
    """Users `start` .. `stop - 1`, stored as django-scim2's `SCIMUser.from_dict` would."""
    from django.db import transaction

    from .djangopeer.models import User
    made = []
    for index in range(start, stop):
        doc = user_document(index)
        made.append(User(username=doc["userName"], scim_username=doc["userName"],
                         first_name=doc["name"]["givenName"],
                         last_name=doc["name"]["familyName"], email=doc["userName"],
                         scim_external_id=doc["externalId"], is_active=True))
    with transaction.atomic():
        created = User.objects.bulk_create(made, batch_size=BATCH)
        ids = [u.pk for u in created]
        User.objects.filter(pk__in=ids).update(scim_id=_cast_id())
    return [str(i) for i in ids]


def _cast_id() -> Any:
    from django.db.models import CharField
    from django.db.models.functions import Cast
    return Cast("id", CharField())


def seed_group(name: str, member_ids: list[int]) -> str:
    """A group holding `member_ids` (seeded users), one membership row each."""
    from django.db import transaction

    from .djangopeer.models import Group, User
    with transaction.atomic():
        group = Group(name=name)
        group.save()
        through = User.scim_groups.through
        through.objects.bulk_create([through(user_id=i, group_id=group.pk) for i in member_ids],
                                    batch_size=BATCH)
    return str(group.scim_id)


class SeedingApp:
    """Django's WSGI application, plus the two seeding endpoints of the benchmark."""

    def __init__(self, app: Callable[..., Iterable[bytes]], token: str):
        self.app, self.expected = app, f"Bearer {token}"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_bench/"):
            return self.app(environ, start_response)
        if not hmac.compare_digest(environ.get("HTTP_AUTHORIZATION", ""), self.expected):
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"unauthorized"]
        query = {k: int(v[0]) for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/_bench/users":
            body: Any = seed_users(query["start"], query["stop"])
        elif path == "/_bench/group":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            members = json.loads(environ["wsgi.input"].read(length))["members"]
            body = seed_group(f"Bench group {len(members)}", [int(m) for m in members])
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


class PeerServer(GunicornServer):
    """The same embedded gunicorn as `scim-server serve`, loading the Django project."""

    def load(self) -> Any:
        from django.core.wsgi import get_wsgi_application
        return SeedingApp(get_wsgi_application(), os.environ["PEER_TOKEN"])


def migrate() -> None:
    import django
    from django.core.management import call_command
    django.setup()
    call_command("migrate", verbosity=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    serve = sub.add_parser("serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        return
    options = gunicorn_options(args.host, args.port, args.workers)
    options["control_socket_disable"] = True  # several gunicorns run side by side
    PeerServer(options).run()


if __name__ == "__main__":
    main(sys.argv[1:])
