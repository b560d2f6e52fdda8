"""Seed large directories straight through the storage layer, in a few big transactions.

Provisioning a million users one POST at a time would take hours; the benchmark needs
the *shape* a first sync leaves behind, not its history. Rows are written exactly as
`services/directory_users.py` and `services/directory_groups.py` write them (account,
resource row, one value row per email; group row, one row per membership), with the
models' own `__table__` objects, so type handling matches the server's.

User ids are derived from the directory and the user's index, so the benchmark can name
any seeded user without keeping a million ids in memory.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Iterator

from sqlalchemy import JSON, Connection, Engine, Table, text

from scim_server.models import Account, DirectoryUser, DirectoryUserValue, Group, GroupMember

#: Rows per INSERT batch and users per transaction.
BATCH = 5_000
TRANSACTION_USERS = 50_000
#: Seeded users are created one millisecond apart from here, so page order is index order.
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def user_id(directory_id: str, index: int) -> str:
    """The id of seeded user `index` of a directory: random-looking, but reproducible."""
    digest = hashlib.md5(f"{directory_id}:{index}".encode(), usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def user_name(index: int) -> str:
    return f"user{index:07d}@bench.example"


def external_id(index: int) -> str:
    return f"ext-{index:07d}"


def user_document(index: int) -> dict[str, Any]:
    """The attributes document the server would store for this user (canonical names)."""
    name = user_name(index)
    return {
        "userName": name,
        "name": {"givenName": f"Given{index}", "familyName": f"Family{index}",
                 "formatted": f"Given{index} Family{index}"},
        "displayName": f"Given{index} Family{index}",
        "externalId": external_id(index),
        "emails": [{"value": name, "type": "work", "primary": True}],
        "active": True,
    }


def _user_rows(org_id: str, directory_id: str, start: int, stop: int
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    accounts, users, values = [], [], []
    for index in range(start, stop):
        uid = user_id(directory_id, index)
        doc = user_document(index)
        name = doc["userName"]
        created = EPOCH + timedelta(milliseconds=index)
        accounts.append({
            "id": uid, "org_id": org_id, "email": name, "email_norm": name.lower(),
            "email_verified": True, "display_name": doc["displayName"], "status": "active",
            "source": "synced", "directory_id": directory_id, "is_org_admin": False,
            "has_accessed": False, "created_at": created, "updated_at": created,
        })
        users.append({
            "id": uid, "directory_id": directory_id, "user_name": name,
            "user_name_norm": name.lower(), "external_id": doc["externalId"],
            "display_name": doc["displayName"], "display_name_norm": doc["displayName"].lower(),
            "active": True, "attributes": doc, "password_hash": None, "version": 1,
            "created_at": created, "updated_at": created,
        })
        email = doc["emails"][0]
        values.append({
            "user_id": uid, "directory_id": directory_id, "attribute": "emails", "position": 0,
            "value": email["value"], "value_norm": email["value"].lower(), "type": "work",
            "primary": True, "display": None, "data": email,
        })
    return accounts, users, values


def seed_users(engine: Engine, org_id: str, directory_id: str, start: int, stop: int) -> None:
    """Insert users `start` .. `stop - 1` of the directory (their accounts and email rows)."""
    for tx_start in range(start, stop, TRANSACTION_USERS):
        tx_stop = min(stop, tx_start + TRANSACTION_USERS)
        with engine.begin() as conn:
            for batch_start in range(tx_start, tx_stop, BATCH):
                accounts, users, values = _user_rows(org_id, directory_id, batch_start,
                                                     min(tx_stop, batch_start + BATCH))
                insert_rows(conn, Account.__table__, accounts)
                insert_rows(conn, DirectoryUser.__table__, users)
                insert_rows(conn, DirectoryUserValue.__table__, values)


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows: COPY on PostgreSQL (several times faster), executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    quoted = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in json_columns else row[c]
                                for c in columns])


def group_id(directory_id: str, name: str) -> str:
    digest = hashlib.md5(f"{directory_id}:group:{name}".encode(), usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def seed_group(engine: Engine, org_id: str, directory_id: str, name: str,
               member_ids: Iterable[str]) -> str:
    """Create a synced group holding `member_ids` (users); returns the group id."""
    gid = group_id(directory_id, name)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(Group.__table__.insert(), [{
            "id": gid, "org_id": org_id, "directory_id": directory_id, "source": "synced",
            "display_name": name, "display_name_norm": name.lower(), "external_id": None,
            "attributes": {}, "member_count": 0, "version": 1, "created_at": now,
            "updated_at": now,
        }])
        count = 0
        for batch in _batches(member_ids, BATCH):
            insert_rows(conn, GroupMember.__table__, [
                {"group_id": gid, "member_id": m, "member_type": "User",
                 "created_at": now + timedelta(microseconds=count + i)}
                for i, m in enumerate(batch)])
            count += len(batch)
        conn.execute(Group.__table__.update().where(Group.__table__.c.id == gid)
                     .values(member_count=count))
    return gid


def analyze_sqlite(engine: Engine) -> None:
    """`ANALYZE` a SQLite database: what the server never does (see docs/benchmarks.md)."""
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def analyze(engine: Engine) -> None:
    """Refresh planner statistics, as autovacuum would after a bulk load (PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("accounts", "directory_users", "directory_user_values", "groups",
                      "group_members"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
