"""scim-server: a SCIM 2.0 provisioning server with an admin API for product access."""
from __future__ import annotations

from flask import Flask

from . import json_codec
from .config import Config

__all__ = ["create_app", "Config"]


def create_app(config: Config | None = None) -> Flask:
    """Assemble the application; every step lives in its own module."""
    config = config or Config.from_env()
    app = Flask(__name__)
    app.json = json_codec.FastJSONProvider(app)  # orjson for responses (issue 15)
    app.config["SCIM"] = config
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.config["TESTING"] = config.testing
    app.json.sort_keys = False  # type: ignore[attr-defined]
    register_extensions(app, config)
    register_operations(app)
    register_blueprints(app)
    register_error_handlers(app)
    return app


def register_extensions(app: Flask, config: Config) -> None:
    from . import db
    from .scim.schema_registry import SchemaRegistry

    db.init_app(app, config)
    app.extensions["scim_server.schemas"] = SchemaRegistry.load(config.schemas_dir)


def register_operations(app: Flask) -> None:
    from .ops import register_operations as register_ops

    register_ops(app)


def register_blueprints(app: Flask) -> None:
    from .admin import blueprint as admin_blueprint
    from .ops import blueprint as ops_blueprint
    from .public import email_actions as email_action_pages
    from .public import invitations as invitations_page
    from .public import request_access as request_access_pages
    from .public import signup as signup_api
    from .scim import blueprint as scim_blueprint

    app.register_blueprint(scim_blueprint.bp)
    app.register_blueprint(ops_blueprint.bp)
    app.register_blueprint(admin_blueprint.bp)
    app.register_blueprint(invitations_page.bp)
    app.register_blueprint(signup_api.bp)
    app.register_blueprint(request_access_pages.bp)
    app.register_blueprint(email_action_pages.bp)
    from .console import init_app as register_console

    register_console(app)


def register_error_handlers(app: Flask) -> None:
    from .errors import register_error_handlers as register_fallbacks

    register_fallbacks(app)

