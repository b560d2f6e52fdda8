"""A database failure in the middle of a streamed group GET, on a real server.

The 200 status line has left when the members are read, so only a broken body can say
the resource was not sent whole: the chunked body must end without its last chunk, and
the server must go on serving.
"""
from __future__ import annotations

import socket
import time
import uuid
from urllib.parse import urlsplit

import requests
from flask import Flask
from sqlalchemy import create_engine, insert, text
from sqlalchemy.pool import NullPool

from conftest import Tenant
from scim_server import db
from scim_server.models import GroupMember
from tests.concurrency.conftest import Servers
from tests.concurrency.test_races import _arrange

MEMBERS = 20_000  # megabytes of JSON: far more than the socket buffers hold


def _terminate_streaming_backend(database_url: str, timeout: float = 20.0) -> int:
    """End the server's database session that is reading the members (a fault): the one
    waiting inside its snapshot, on a server-side cursor, for the client to take more."""
    probe = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          poolclass=NullPool, isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + timeout
    try:
        with probe.connect() as connection:
            while time.monotonic() < deadline:
                ended = connection.scalar(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state LIKE 'idle in transaction%' AND (query ILIKE 'FETCH%' "
                    "OR query ILIKE '%FROM group_members%')"))
                if ended:
                    return int(ended)
                time.sleep(0.05)
    finally:
        probe.dispose()
    raise AssertionError("no server session was reading the members")


def test_a_database_failure_mid_stream_cuts_the_chunked_body(
        app: Flask, tenant: Tenant, servers: Servers, database_url: str) -> None:
    (_user,), group_id = _arrange(app, tenant, 1)
    with app.app_context():
        session = db.new_session(app)
        session.execute(insert(GroupMember), [
            {"group_id": group_id, "member_id": str(uuid.uuid4()), "member_type": "User"}
            for _ in range(MEMBERS)])
        session.commit()
        session.close()
    address = urlsplit(servers.url(0))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    sock.connect((address.hostname, address.port))
    received = b""
    try:
        sock.sendall(f"GET /scim/v2/directories/{tenant.directory_id}/Groups/{group_id} "
                     f"HTTP/1.1\r\nHost: {address.netloc}\r\n"
                     f"Authorization: Bearer {tenant.scim_token}\r\n\r\n".encode())
        received = sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 200")
        _terminate_streaming_backend(database_url)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass  # as good as a close: the body is cut either way
    finally:
        sock.close()
    assert b"transfer-encoding: chunked" in received.lower()
    assert not received.endswith(b"\r\n0\r\n\r\n")  # no last chunk: visibly incomplete
    assert received.count(b'"value"') < MEMBERS
    after = requests.get(f"{servers.url(0)}/scim/v2/directories/{tenant.directory_id}"
                         f"/Groups/{group_id}?excludedAttributes=members",
                         headers={"Authorization": f"Bearer {tenant.scim_token}"}, timeout=30)
    assert after.status_code == 200  # the server recovered alone
