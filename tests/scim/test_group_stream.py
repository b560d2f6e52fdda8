"""The streamed full GET of a group: one snapshot, and a broken stream looks broken.

A group's members are streamed in batches (bounded memory at 300,000 members). The head
(`meta.version`, the ETag, RFC 7644 §3.14) and the members must come from one snapshot,
or a client caches members of one state under the version of another. A failure after
the 200 status line has gone must leave the chunked body incomplete (no last chunk), so
the client knows it did not get the resource.
"""
from __future__ import annotations

import http.client
import json
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask

from scim_server.scim import blueprint  # noqa: F401  (first: the route modules import it)
from scim_server import db
from scim_server.models import Directory
from scim_server.scim import groups as groups_module
from scim_server.services import directory_groups
from scim_server.services.actors import Actor
from scim_server.services.directory_groups import MemberEdit

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _group_with(scim, names: list[str]) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    ids = [scim.post("/Users", json={"schemas": [USER], "userName": n}).get_json()["id"]
           for n in names]
    group = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Streamed",
                                       "members": [{"value": i} for i in ids[:1]]})
    return group.get_json()["id"], ids


def test_head_and_members_come_from_one_snapshot(app: Flask, scim, tenant,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    group_id, (first, late) = _group_with(scim, ["first", "late"])
    original = groups_module.stream_members_json

    def change_then_stream(session: Any, gid: str, base: str) -> Iterator[str]:
        # Another writer commits after the head was read and before members are.
        writer = db.new_session(app)
        directory = writer.get(Directory, tenant.directory_id)
        group = directory_groups.get_group(writer, tenant.directory_id, gid)
        directory_groups.update_group(writer, directory, group,
                                      directory_groups.GroupData("Streamed", {}),
                                      MemberEdit(add=[late]), Actor.cli(),
                                      attributes_changed=False)
        writer.commit()
        writer.close()
        yield from original(session, gid, base)

    monkeypatch.setattr(groups_module, "stream_members_json", change_then_stream)
    response = scim.get(f"/Groups/{group_id}")
    body = json.loads(response.get_data(as_text=True))
    assert response.headers["ETag"] == body["meta"]["version"] == 'W/"1"'
    assert [m["value"] for m in body["members"]] == [first]  # the state version 1 names
    monkeypatch.setattr(groups_module, "stream_members_json", original)
    now = scim.get(f"/Groups/{group_id}")
    assert now.headers["ETag"] == 'W/"2"'
    assert sorted(m["value"] for m in now.get_json()["members"]) == sorted([first, late])


def test_a_failure_mid_stream_leaves_the_body_incomplete(live_server: str, scim, tenant,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    group_id, _ids = _group_with(scim, ["only"])

    def broken(_session: Any, _gid: str, _base: str) -> Iterator[str]:
        yield '[{"value": "half'
        raise RuntimeError("the database went away")

    monkeypatch.setattr(groups_module, "stream_members_json", broken)
    address = urlsplit(live_server)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", f"{tenant.scim_base}/Groups/{group_id}",
                       headers={"Authorization": f"Bearer {tenant.scim_token}"})
    response = connection.getresponse()
    assert response.status == 200  # the status line left before the failure
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        response.read()
    connection.close()




def test_a_body_never_read_gives_its_snapshot_connection_back(app: Flask, scim) -> None:
    """HEAD never iterates the body: the snapshot's connection must still go back."""
    group_id, _ids = _group_with(scim, ["only"])
    pool = app.extensions[db.EXTENSION_KEY][0].pool
    checked_out = getattr(pool, "checkedout", lambda: 0)
    before = checked_out()
    for _ in range(3):
        response = scim.client.open(f"{scim.tenant.scim_base}/Groups/{group_id}",
                                    method="HEAD", headers=scim.tenant.scim_headers)
        assert response.status_code == 200
        response.close()
    assert checked_out() == before
