"""Test fixtures, layered app → database → client → tenant credentials.

Every test that uses `app` runs once per backend: SQLite (a file) and PostgreSQL. The
PostgreSQL leg uses a fresh database created for the run on SCIM_TEST_POSTGRES_URL
(default: 127.0.0.1:5432, database `test`). Where no PostgreSQL answers, that leg is
skipped with a loud notice, except under CI=true, where it fails.
"""
from __future__ import annotations

import os
import threading
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from scim_server import Config, create_app, db, migrate
from scim_server.models import Base, Directory, Organization
from scim_server.services import admin_keys, tenancy
from scim_server.services.actors import Actor

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = [b.strip() for b in os.environ.get("SCIM_TEST_BACKENDS", "sqlite,postgresql").split(",")
            if b.strip()]


def _postgres_admin_url() -> str:
    url = os.environ.get("SCIM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    admin_url = _postgres_admin_url()
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        message = (f"PostgreSQL is not reachable at {admin_url} ({type(exc).__name__}); "
                   "the PostgreSQL leg of the suite is NOT running")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " and CI=true requires it")
        warnings.warn(message, pytest.PytestWarning)
        print(f"\n{'!' * 78}\n!! {message}\n{'!' * 78}")
        pytest.skip(message)
    name = f"scim_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'scim.sqlite3'}"
    if request.param == "postgresql":
        return str(request.getfixturevalue("_postgres_database"))
    raise ValueError(f"unknown backend {request.param}")


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the current backend that nothing has migrated yet (dropped after)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"scim_empty_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(_postgres_admin_url()).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _migrated_app(database_url: str) -> Iterator[Flask]:
    config = Config.from_env(database_url=database_url, testing=True,
                             public_url="http://scim.test", smtp_url=None, redis_url=None,
                             rate_limit_enabled=False,  # tests/ops/ test the limits themselves
                             token_cache_seconds=0)  # revocations take effect at once
    app = create_app(config)
    with app.app_context():
        migrate.upgrade(db.engine())
    yield app
    with app.app_context():
        db.engine().dispose()


def _empty_all_tables(app: Flask) -> None:
    engine = app.extensions[db.EXTENSION_KEY][0]
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(_migrated_app: Flask) -> Iterator[Flask]:
    """The application on a migrated, empty database of the current backend."""
    yield _migrated_app
    _empty_all_tables(_migrated_app)


@pytest.fixture
def backend(app: Flask) -> str:
    return app.extensions[db.EXTENSION_KEY][0].dialect.name


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session outside any request, for arranging data and checking what was stored.

    It begins as a reader so it never holds SQLite's write lock while the app works; call
    `rollback()` before reading again to see what requests committed since.
    """
    session = db.new_session(app, snapshot=True)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@dataclass
class Tenant:
    """An organization with one directory and working credentials."""

    org_id: str
    directory_id: str
    scim_token: str
    admin_key: str

    @property
    def scim_base(self) -> str:
        return f"/scim/v2/directories/{self.directory_id}"

    @property
    def scim_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.scim_token}"}

    @property
    def admin_base(self) -> str:
        return f"/admin/v1/orgs/{self.org_id}"

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


@pytest.fixture
def make_tenant(app: Flask) -> Callable[..., Tenant]:
    """Factory: `make_tenant(idp="okta")` creates an org, a directory and its credentials."""

    def _make(name: str = "Acme", idp: str = "generic", scopes: tuple[str, ...] = ("org-admin",)
              ) -> Tenant:
        with app.app_context():
            session = db.new_session(app)
            org = tenancy.create_organization(session, name, Actor.cli())
            directory = tenancy.create_directory(session, org, f"{name} directory", idp,
                                                 Actor.cli())
            token = tenancy.issue_scim_token(session, directory, Actor.cli())
            key = admin_keys.issue_admin_key(session, org, list(scopes), Actor.cli())
            tenant = Tenant(org.id, directory.id, token.secret, key.secret)
            session.commit()
            session.close()
        return tenant

    return _make


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant()


class ScimClient:
    """The Flask test client, pointed at one directory's SCIM base with its token."""

    def __init__(self, client: FlaskClient, tenant: Tenant):
        self.client = client
        self.tenant = tenant

    def _call(self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None,
              **kwargs: Any) -> Any:
        all_headers = dict(self.tenant.scim_headers)
        all_headers.update(headers or {})
        if json is not None:
            kwargs["data"] = __import__("json").dumps(json)
            kwargs.setdefault("content_type", "application/scim+json")
        return self.client.open(self.tenant.scim_base + path, method=method,
                                headers=all_headers, **kwargs)

    def get(self, path: str, **kw: Any) -> Any:
        return self._call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self._call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self._call("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self._call("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self._call("DELETE", path, **kw)


@pytest.fixture
def scim(client: FlaskClient, tenant: Tenant) -> ScimClient:
    return ScimClient(client, tenant)


@pytest.fixture
def make_scim_client(client: FlaskClient) -> Callable[[Tenant], ScimClient]:
    return lambda other: ScimClient(client, other)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on loopback, for clients that speak HTTP (requests)."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


FIXTURES_DIR = Path(__file__).parent / "tests" / "fixtures"


@pytest.fixture
def rfc_example() -> Callable[[str], dict[str, Any]]:
    """Load an RFC example by file name, e.g. `rfc7643-8.2-user-full.json`."""
    import json

    return lambda name: json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))


__all__ = ["Directory", "Organization", "ScimClient", "Tenant"]
