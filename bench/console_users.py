"""The console's users page at scale: p50/p95 of the pages an admin opens most.

    python -m bench.console_users --accounts 100000 --backend sqlite
    python -m bench.console_users --accounts 100000 --backend postgresql

Seeds one organization with N accounts (a tenth of them invited, a third synced), signs
in through a one-time link, then times the first page, a deep page (the cursor of the
middle of the list), a search and an invitation-status filter through the Flask test
client (application time, no network). Not a timed test: the issue's target is a p50
under 300 ms at 100,000 accounts.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, insert, text

from scim_server import Config, create_app, db, migrate
from scim_server.console.paging import encode_cursor
from scim_server.models import Account, Invitation, utcnow
from scim_server.services import console_auth, secrets, tenancy
from scim_server.services.actors import Actor

ROUNDS = 25


def seed(app: Any, accounts: int) -> tuple[str, str, str]:
    """An organization with `accounts` accounts; returns (org id, admin id, middle cursor)."""
    with app.app_context():
        session = db.new_session(app)
        org = tenancy.create_organization(session, "Bench", Actor.cli())
        directory = tenancy.create_directory(session, org, "IdP", "generic", Actor.cli())
        session.commit()
        org_id, directory_id = org.id, directory.id
        start = utcnow() - timedelta(days=365)
        rows, invitations = [], []
        middle = None
        for i in range(accounts):
            ident = str(uuid.uuid4())
            created = start + timedelta(seconds=i * 30)
            synced = i % 3 == 0
            rows.append({"id": ident, "org_id": org_id, "email": f"person{i}@bench.test",
                         "email_norm": f"person{i}@bench.test", "email_verified": synced,
                         "display_name": f"Person {i}", "status": "active",
                         "source": "synced" if synced else "invited",
                         "directory_id": directory_id if synced else None,
                         "is_org_admin": False, "is_user_access_admin": False,
                         "has_accessed": i % 2 == 0, "created_at": created,
                         "updated_at": created})
            if i % 10 == 1:
                invitations.append({"id": str(uuid.uuid4()), "org_id": org_id,
                                    "account_id": ident,
                                    "token_hash": secrets.digest(str(uuid.uuid4())),
                                    "state": "pending", "send_email": True, "products": [],
                                    "groups": [], "site_role": "basic", "created_at": created,
                                    "expires_at": created + timedelta(days=30)})
            if i == accounts // 2:
                middle = encode_cursor([created, ident])
            if len(rows) >= 5000:
                session.execute(insert(Account), rows)
                rows = []
        if rows:
            session.execute(insert(Account), rows)
        for chunk in range(0, len(invitations), 5000):
            session.execute(insert(Invitation), invitations[chunk:chunk + 5000])
        admin = Account(org_id=org_id, email="admin@bench.test", email_norm="admin@bench.test",
                        is_org_admin=True, has_accessed=True)
        session.add(admin)
        session.commit()
        admin_id = admin.id
        session.close()
        migrate.refresh_statistics(db.engine())
        if db.engine().dialect.name == "postgresql":
            with db.engine().connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
    assert middle is not None
    return org_id, admin_id, middle


def sign_in(app: Any, admin_id: str) -> Any:
    client = app.test_client()
    with app.app_context():
        session = db.new_session(app)
        _link, token = console_auth.issue_sign_in_link(session, session.get(Account, admin_id),
                                                       15)
        session.commit()
        session.close()
    page = client.get(f"/console/sign-in?token={token}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post("/console/sign-in", data={"csrf_token": csrf, "token": token})
    assert response.status_code == 302, response.status_code
    return client


def measure(client: Any, url: str) -> tuple[float, float]:
    timings = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description="console users page at scale")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        name = f"scim_bench_console_{uuid.uuid4().hex[:8]}"
        if args.backend == "sqlite":
            url = f"sqlite:///{folder}/bench.sqlite3"
        else:
            admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                  isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        try:
            app = create_app(Config.from_env(database_url=url, testing=True,
                                             rate_limit_enabled=False, smtp_url=None,
                                             redis_url=None))
            with app.app_context():
                migrate.upgrade(db.engine())
            began = time.perf_counter()
            org_id, admin_id, middle = seed(app, args.accounts)
            print(f"seeded {args.accounts} accounts on {args.backend} in "
                  f"{time.perf_counter() - began:.0f} s")
            client = sign_in(app, admin_id)
            base = f"/console/orgs/{org_id}/users"
            for label, url in [("first page", base), ("deep page (middle)",
                                                      f"{base}?cursor={middle}"),
                               ("search 'person4242'", f"{base}?q=person4242"),
                               ("invitation pending", f"{base}?invitation=invitation_pending"),
                               ("source synced", f"{base}?source=synced")]:
                p50, p95 = measure(client, url)
                print(f"{label:24} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
            with app.app_context():
                db.engine().dispose()
        finally:
            if args.backend == "postgresql":
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
