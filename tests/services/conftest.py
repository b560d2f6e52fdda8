"""Service-level fixtures: a session and small factories that add rows to it."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, Group, GroupMember, Product, Site
from scim_server.services.email_addresses import email_norm


@pytest.fixture
def site(db_session: Session, tenant: Tenant) -> Site:
    found = db_session.scalars(select(Site).where(Site.org_id == tenant.org_id)).first()
    assert found is not None
    return found


@pytest.fixture
def add_account(db_session: Session, tenant: Tenant) -> Callable[..., Account]:
    def _add(email: str, status: str = "active", **extra: object) -> Account:
        account = Account(org_id=tenant.org_id, email=email, email_norm=email_norm(email),
                          status=status, **extra)
        db_session.add(account)
        db_session.flush()
        return account

    return _add


@pytest.fixture
def add_product(db_session: Session, tenant: Tenant, site: Site) -> Callable[..., Product]:
    def _add(key: str = "jira", seat_limit: int | None = None) -> Product:
        product = Product(org_id=tenant.org_id, site_id=site.id, key=key, name=key,
                          seat_limit=seat_limit)
        db_session.add(product)
        db_session.flush()
        return product

    return _add


@pytest.fixture
def add_group(db_session: Session, tenant: Tenant) -> Callable[..., Group]:
    def _add(name: str, users: tuple[str, ...] = (), groups: tuple[str, ...] = (),
             source: str = "synced") -> Group:
        group = Group(org_id=tenant.org_id, source=source, display_name=name,
                      display_name_norm=name.lower(), attributes={},
                      directory_id=tenant.directory_id if source == "synced" else None)
        db_session.add(group)
        db_session.flush()
        for member in users:
            db_session.add(GroupMember(group_id=group.id, member_id=member, member_type="User"))
        for member in groups:
            db_session.add(GroupMember(group_id=group.id, member_id=member, member_type="Group"))
        db_session.flush()
        return group

    return _add
