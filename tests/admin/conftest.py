"""Admin API fixtures: a client bound to the tenant's admin base, and data factories."""
from __future__ import annotations

import json as jsonlib
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, DirectoryUser, Group, GroupMember, new_id, utcnow
from scim_server.services.directory_users import norm
from scim_server.services.email_addresses import email_norm


class AdminClient:
    """The Flask test client, pointed at one organization's admin base with its key."""

    def __init__(self, client: FlaskClient, tenant: Tenant, key: str | None = None):
        self.client = client
        self.tenant = tenant
        self.key = key or tenant.admin_key

    def with_key(self, key: str) -> "AdminClient":
        return AdminClient(self.client, self.tenant, key)

    def call(self, method: str, path: str, *, json: Any = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        all_headers = {"Authorization": f"Bearer {self.key}", **(headers or {})}
        if json is not None:
            kwargs["data"] = jsonlib.dumps(json)
            kwargs.setdefault("content_type", "application/json")
        url = path if path.startswith("/admin/") else self.tenant.admin_base + path
        return self.client.open(url, method=method, headers=all_headers, **kwargs)

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.call("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.call("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)


@pytest.fixture
def admin(client: FlaskClient, tenant: Tenant) -> AdminClient:
    return AdminClient(client, tenant)


@pytest.fixture
def make_admin_client(client: FlaskClient) -> Callable[..., AdminClient]:
    return lambda tenant, key=None: AdminClient(client, tenant, key)


@pytest.fixture
def site_id(admin: AdminClient) -> str:
    """The id of the organization's default site."""
    return str(admin.get("/sites").get_json()["data"][0]["id"])


@pytest.fixture
def make_product(admin: AdminClient, site_id: str) -> Callable[..., dict[str, Any]]:
    """Factory: `make_product(key="jira", seat_limit=2)` creates a product over the API."""

    def _make(key: str = "jira", name: str | None = None, seat_limit: int | None = None,
              client: AdminClient | None = None, site: str | None = None) -> dict[str, Any]:
        body = {"site_id": site or site_id, "key": key, "name": name or key.title(),
                "seat_limit": seat_limit}
        response = (client or admin).post("/products", json=body)
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())

    return _make


@pytest.fixture
def make_account(app: Flask, tenant: Tenant) -> Callable[..., str]:
    """Factory: an account as SCIM or invitations would make it; returns its id."""

    def _make(email: str | None = None, *, name: str | None = None, source: str = "invited",
              status: str = "active", synced: bool = False, org_id: str | None = None,
              directory_id: str | None = None, has_accessed: bool = False) -> str:
        with app.app_context():
            session = db.new_session(app)
            account_id = new_id()
            directory = (directory_id or tenant.directory_id) if synced else None
            session.add(Account(
                id=account_id, org_id=org_id or tenant.org_id, email=email,
                email_norm=email_norm(email) if email else None, display_name=name,
                status=status, source="synced" if synced else source, directory_id=directory,
                has_accessed=has_accessed,
                deactivated_at=utcnow() if status == "deactivated" else None))
            if synced:
                session.flush()
                user_name = email or f"{account_id}@idp.test"
                session.add(DirectoryUser(id=account_id, directory_id=directory,
                                          user_name=user_name, user_name_norm=norm(user_name),
                                          active=status == "active", attributes={}))
            session.commit()
            session.close()
        return account_id

    return _make


@pytest.fixture
def make_synced_group(app: Flask, tenant: Tenant) -> Callable[..., str]:
    """Factory: a group a directory pushed, with user and group members; returns its id."""

    def _make(name: str, users: tuple[str, ...] = (), groups: tuple[str, ...] = (),
              org_id: str | None = None, directory_id: str | None = None) -> str:
        with app.app_context():
            session = db.new_session(app)
            group = Group(org_id=org_id or tenant.org_id,
                          directory_id=directory_id or tenant.directory_id, source="synced",
                          display_name=name, display_name_norm=name.lower(), attributes={},
                          member_count=len(users) + len(groups))
            session.add(group)
            session.flush()
            for member in users:
                session.add(GroupMember(group_id=group.id, member_id=member, member_type="User"))
            for member in groups:
                session.add(GroupMember(group_id=group.id, member_id=member,
                                        member_type="Group"))
            session.commit()
            group_id = group.id
            session.close()
        return group_id

    return _make


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert `response` is an RFC 9457 problem document with `status`; return it."""
    assert response.status_code == status, (response.status_code, response.get_data(True))
    assert response.mimetype == "application/problem+json", response.mimetype
    body = jsonlib.loads(response.get_data(as_text=True))
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return dict(body)
