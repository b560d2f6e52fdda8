"""Time SCIM filters on a seeded directory (issue 12: the filter budget), PostgreSQL or SQLite.

    python3 scripts/measure_filter_cost.py postgresql://127.0.0.1/NAME --users 20000

Seeds the database once (users with two emails, a phone number and five groups), then
runs each filter as the list endpoint does (a count and a first page of 100), printing
milliseconds. The PYTHONPATH decides which scim_server version compiles the filters.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid

from sqlalchemy import func, insert, inspect, select, text

from scim_server import Config, create_app, db
from scim_server.migrate import upgrade
from scim_server.models import (Account, DirectoryUser, DirectoryUserValue, Group, GroupMember,
                                Organization)
from scim_server.scim.filters import compile_user_filter

FILTERS = {
    "159 emails[value co] and (the issue)":
        " and ".join(f'emails[value co "{n % 10}"]' for n in range(159)),
    "20 emails[value co] and": " and ".join(f'emails[value co "{n % 10}"]' for n in range(20)),
    "22 emails co and": " and ".join(f'emails co "{n % 10}"' for n in range(22)),
    "47 emails.value sw or": " or ".join(f'emails.value sw "u{n}"' for n in range(47)),
    "3 groups.display eq or": " or ".join(f'groups.display eq "g{n}"' for n in range(3)),
    "6 attributes [type co]": " and ".join(
        f'{a}[type co "o"]' for a in ("emails", "phoneNumbers", "ims", "photos", "roles",
                                      "entitlements")),
    "30 name.givenName co and": " and ".join(f'name.givenName co "{n % 10}"'
                                             for n in range(30)),
    "20 name.givenName co and": " and ".join(f'name.givenName co "{n % 10}"'
                                             for n in range(20)),
    "15 name.givenName co or": " or ".join(f'name.givenName co "x{n % 10}"'
                                           for n in range(15)),
    "userName eq": 'userName eq "u77@example.com"',
}


def seed(session, users: int) -> str:
    existing = session.scalar(select(DirectoryUser.directory_id).limit(1))
    if existing:
        return existing
    org = Organization(name="Bench")
    session.add(org)
    session.flush()
    from scim_server.models import Directory
    directory = Directory(org_id=org.id, name="Bench", idp="generic")
    session.add(directory)
    session.flush()
    d = directory.id
    groups = [str(uuid.uuid4()) for _ in range(5)]
    session.execute(insert(Group), [{"id": g, "org_id": org.id, "directory_id": d,
                                     "source": "synced", "display_name": f"g{n}",
                                     "display_name_norm": f"g{n}", "attributes": {},
                                     "member_count": 0} for n, g in enumerate(groups)])
    for start in range(0, users, 5000):
        ids = [str(uuid.uuid4()) for _ in range(start, min(users, start + 5000))]
        session.execute(insert(Account), [{"id": i, "org_id": org.id, "source": "synced",
                                           "directory_id": d} for i in ids])
        session.execute(insert(DirectoryUser), [
            {"id": i, "directory_id": d, "user_name": f"u{start + n}@example.com",
             "user_name_norm": f"u{start + n}@example.com",
             "attributes": {"name": {"givenName": f"Given{start + n}"}}}
            for n, i in enumerate(ids)])
        rows = []
        for n, i in enumerate(ids):
            k = start + n
            rows += [{"user_id": i, "directory_id": d, "attribute": "emails", "position": 0,
                      "value": f"u{k}@example.com", "value_norm": f"u{k}@example.com",
                      "type": "work", "data": {}},
                     {"user_id": i, "directory_id": d, "attribute": "emails", "position": 1,
                      "value": f"u{k}@home{k % 97}.org", "value_norm": f"u{k}@home{k % 97}.org",
                      "type": "home", "data": {}},
                     {"user_id": i, "directory_id": d, "attribute": "phoneNumbers",
                      "position": 0, "value": f"+1555{k:07d}", "value_norm": f"+1555{k:07d}",
                      "type": "mobile", "data": {}}]
        session.execute(insert(DirectoryUserValue), rows)
        session.execute(insert(GroupMember), [{"group_id": groups[n % 5], "member_id": i,
                                               "member_type": "User"}
                                              for n, i in enumerate(ids)])
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("directory_users", "directory_user_values", "group_members", "groups"):
            session.execute(text(f"ANALYZE {table}"))
        session.commit()
    return d


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def watch_backend(engine, session, limit_mb: int) -> threading.Event:
    """Cancel this session's statement if its PostgreSQL backend (local) outgrows `limit_mb`.

    A runaway plan must not take the shared server down (the OOM killer restarts it).
    """
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            if _rss_mb(pid) > limit_mb:
                with engine.connect() as other:
                    other.execute(text(f"SELECT pg_cancel_backend({pid})"))
                print(f"  (cancelled: backend {pid} passed {limit_mb} MB)", flush=True)

    threading.Thread(target=watch, daemon=True).start()
    return stop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--only", default="", help="run the filters whose label has this")
    parser.add_argument("--timeout", type=int, default=120, help="seconds a query may take")
    args = parser.parse_args()
    app = create_app(Config(database_url=args.url))
    with app.app_context():
        engine = app.extensions[db.EXTENSION_KEY][0]
        if not inspect(engine).has_table("directory_users"):
            upgrade(engine)
        session = db.new_session(app)
        directory_id = seed(session, args.users)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET work_mem = '16MB'"))
            watch_backend(session.get_bind(), session, 1500)
        registry = app.extensions["scim_server.schemas"]
        for label, filter_text in FILTERS.items():
            if args.only not in label:
                continue
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text(f"SET LOCAL statement_timeout = {args.timeout * 1000}"))
            started = time.perf_counter()
            try:
                predicate = compile_user_filter(registry, filter_text, directory_id=directory_id)
            except Exception as exc:  # noqa: BLE001 - report refusals
                print(f"{label:45s} refused: {str(exc)[:90]}")
                continue
            scope = DirectoryUser.directory_id == directory_id
            try:
                total = session.scalar(select(func.count()).select_from(DirectoryUser)
                                       .where(scope, predicate))
                counted = (time.perf_counter() - started) * 1000
                page = session.scalars(select(DirectoryUser.id).where(scope, predicate)
                                       .order_by(DirectoryUser.created_at, DirectoryUser.id)
                                       .limit(100)).all()
            except Exception as exc:  # noqa: BLE001 - a statement timeout
                print(f"{label:45s} failed after {time.perf_counter() - started:.1f} s: "
                      f"{type(exc).__name__}", flush=True)
                session.rollback()
                continue
            ms = (time.perf_counter() - started) * 1000
            print(f"{label:45s} {ms:9.1f} ms (count {counted:.1f} ms; {total} matched, "
                  f"{len(page)} on the page)", flush=True)
            session.rollback()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
