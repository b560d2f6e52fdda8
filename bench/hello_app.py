"""A bare Flask "hello" app under the server's own gunicorn settings: the stack's ceiling.

Run as `python -m bench.hello_app --port P --workers N`. It answers `GET /hello` with a
small JSON document and does nothing else, so its throughput is what Flask and gunicorn
alone can reach on this machine with the settings `scim-server serve` uses.
"""
from __future__ import annotations

import argparse
from typing import Any

from flask import Flask, Response, jsonify

from scim_server.cli.serve import GunicornServer, gunicorn_options


def create_hello_app() -> Flask:
    app = Flask("hello")

    @app.get("/hello")
    def hello() -> Response:
        return jsonify(hello="world")

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    return app


class HelloServer(GunicornServer):
    """The same embedded gunicorn as `scim-server serve`, loading the hello app."""

    def load(self) -> Any:
        return create_hello_app()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    options = gunicorn_options(args.host, args.port, args.workers)
    options["control_socket_disable"] = True  # several gunicorns run side by side
    HelloServer(options).run()


if __name__ == "__main__":
    main()
