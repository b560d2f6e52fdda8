"""`/healthz` and `/readyz`: readiness follows the database down and back up."""
from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from scim_server import db, migrate

from .conftest import TcpProxy


def test_healthz_says_the_process_is_up(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}


def test_readyz_is_ok_on_a_migrated_database(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.get_json()["database"] == "ok"


def test_readyz_fails_while_migrations_are_pending(app, client):
    """A database behind this code (here: never migrated) takes the instance out."""
    engine = app.extensions[db.EXTENSION_KEY][0]
    with engine.begin() as connection:
        applied = [row[0] for row in connection.execute(
            text("SELECT version_num FROM alembic_version"))]
        connection.execute(text("DELETE FROM alembic_version"))
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json() == {"status": "unavailable", "database": "migrations pending"}
    finally:
        with engine.begin() as connection:
            for version in applied:
                connection.execute(text("INSERT INTO alembic_version (version_num) "
                                        "VALUES (:v)"), {"v": version})
    assert client.get("/readyz").status_code == 200


def test_readyz_stays_ready_when_a_newer_version_migrated(app, client):
    """A revision this code does not know is a newer release's (rolling upgrade, issue 17)."""
    engine = app.extensions[db.EXTENSION_KEY][0]
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff0000'"))
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 200
        assert answer.get_json() == {"status": "ok", "database": "ok", "schema": "ahead"}
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM alembic_version"))
        (head,) = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                               {"v": head})


def _ready(app: Flask) -> int:
    return app.test_client().get("/readyz").status_code


def test_readyz_fails_while_the_database_is_down_and_recovers(backend, database_url,
                                                              make_ops_app, tmp_path: Path):
    if backend == "postgresql":
        url = make_url(database_url)
        proxy = TcpProxy(target_port=url.port or 5432)
        proxy.start()
        try:
            app = make_ops_app(database_url=url.set(port=proxy.port)
                               .render_as_string(hide_password=False))
            assert _ready(app) == 200
            proxy.stop()  # the database "goes away": listener and open connections dropped
            assert _ready(app) == 503
            assert _ready(app) == 503
            proxy.start()
            assert _ready(app) == 200
        finally:
            proxy.stop()
    else:
        folder = tmp_path / "data"
        folder.mkdir()
        app = make_ops_app(database_url=f"sqlite:///{folder / 'scim.sqlite3'}")
        with app.app_context():
            migrate.upgrade(db.engine())
        assert _ready(app) == 200
        folder.rename(tmp_path / "unmounted")  # the volume goes away
        assert _ready(app) == 503
        (tmp_path / "unmounted").rename(folder)
        assert _ready(app) == 200
