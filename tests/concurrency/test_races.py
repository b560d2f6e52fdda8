"""Races over two real server processes on one PostgreSQL database (issue 11, 1-3 and 11).

Each test releases its requests together with a barrier and checks what RFC 7644 §3.14
and the admin API promise: one winner per If-Match, counters that match the rows, one
group per admin name, and an ETag that moves with every change of members.
"""
from __future__ import annotations

from typing import Any

import requests
from flask import Flask
from sqlalchemy import func, select

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, Directory, Group, GroupMember
from scim_server.services import account_lifecycle, directory_groups, directory_users
from scim_server.services.actors import Actor
from scim_server.services.directory_groups import GroupData
from scim_server.services.directory_users import UserData
from tests.concurrency.conftest import Servers, race

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = "application/scim+json"
ROUNDS = 5
CONTENDERS = 10


def _scim(servers: Servers, index: int, tenant: Tenant, path: str) -> str:
    return f"{servers.url(index)}/scim/v2/directories/{tenant.directory_id}{path}"


def _headers(tenant: Tenant, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.scim_token}", "Content-Type": SCIM_JSON, **extra}


def _arrange(app: Flask, tenant: Tenant, users: int, group_members: int = 0
             ) -> tuple[list[str], str]:
    """Create `users` directory users and a group holding the first `group_members`."""
    with app.app_context():
        session = db.new_session(app)
        directory = session.get(Directory, tenant.directory_id)
        ids = [directory_users.create_user(
            session, directory, UserData(user_name=f"u{i}@example.com", attributes={
                "schemas": [USER], "userName": f"u{i}@example.com"}), Actor.cli()).id
            for i in range(users)]
        group = directory_groups.create_group(
            session, directory, GroupData("Racers", {"displayName": "Racers"},
                                          members=ids[:group_members]), Actor.cli())
        session.commit()
        session.close()
    return ids, group.id


def _group_row(app: Flask, group_id: str) -> tuple[int, int, int]:
    """(stored member_count, real member rows, version) of a group."""
    with app.app_context():
        session = db.new_session(app, snapshot=True)
        group = session.get(Group, group_id)
        real = session.scalar(select(func.count()).select_from(GroupMember)
                              .where(GroupMember.group_id == group_id))
        row = (group.member_count, int(real or 0), group.version)
        session.close()
    return row


def test_if_match_put_has_exactly_one_winner_per_round(app, tenant, servers, http):
    """Finding 1: ten PUTs naming one ETag, over two processes: one 200, nine 412."""
    (user_id,), _group = _arrange(app, tenant, 1)
    url = lambda i: _scim(servers, i, tenant, f"/Users/{user_id}")  # noqa: E731
    etag = http().get(url(0), headers=_headers(tenant)).headers["ETag"]
    winners_per_round, etags = [], [etag]
    for round_ in range(ROUNDS):
        def put(i: int, tag: str = etag, round_: int = round_) -> requests.Response:
            body = {"schemas": [USER], "userName": "u0@example.com",
                    "displayName": f"round {round_} writer {i}"}
            return http().put(url(i), json=body, headers=_headers(tenant, **{"If-Match": tag}))

        answers = race([lambda i=i: put(i) for i in range(CONTENDERS)])
        assert {a.status_code for a in answers} <= {200, 412}
        won = [a for a in answers if a.status_code == 200]
        winners_per_round.append(len(won))
        etag = won[-1].headers["ETag"]
        etags.append(etag)
        now = http().get(url(round_ + 1), headers=_headers(tenant)).json()
        assert now["displayName"] in {a.json()["displayName"] for a in won}
    print(f"If-Match PUT races: {ROUNDS} rounds x {CONTENDERS}, winners per round "
          f"{winners_per_round}, ETags {etags}")
    assert winners_per_round == [1] * ROUNDS
    assert len(set(etags)) == ROUNDS + 1, etags
    assert etags[-1] == f'W/"{ROUNDS + 1}"'


def test_member_patches_keep_count_and_version_exact(app, tenant, servers, http):
    """Finding 2: 240 concurrent member PATCHes; count and version follow every change."""
    ids, group_id = _arrange(app, tenant, 230, group_members=30)
    url = lambda i: _scim(servers, i, tenant, f"/Groups/{group_id}")  # noqa: E731
    assert _group_row(app, group_id) == (30, 30, 1)

    def patch(i: int, op: dict[str, Any]) -> requests.Response:
        return http().patch(url(i), json={"schemas": [PATCH_OP], "Operations": [op]},
                            headers=_headers(tenant))

    adds = [{"op": "add", "path": "members", "value": [{"value": m}]} for m in ids[30:]]
    removes = [{"op": "remove", "path": f'members[value eq "{m}"]'} for m in ids[:20]]
    no_ops = [{"op": "add", "path": "members", "value": [{"value": m}]} for m in ids[20:30] * 2]
    effective = adds + removes
    operations = effective + no_ops
    answers = race([lambda i=i, op=op: patch(i, op) for i, op in enumerate(operations)],
                   timeout=120)
    assert [a.status_code for a in answers] == [204] * len(operations)
    changed_tags = {a.headers["ETag"] for a in answers[:len(effective)]}
    stored, real, version = _group_row(app, group_id)
    figures = {"member_count": stored, "members": real, "version": version,
               "distinct_etags": len(changed_tags)}
    print(f"member PATCH race: {len(operations)} PATCHes, {len(effective)} effective; "
          f"before (30, 30, 1), after {figures}")
    # Every effective change answered with a version of its own: 2 .. 1 + 220.
    assert figures == {"member_count": 210, "members": 210, "version": 1 + len(effective),
                       "distinct_etags": len(effective)}
    assert changed_tags == {f'W/"{v}"' for v in range(2, len(effective) + 2)}


def test_concurrent_admin_creates_of_one_name_make_one_group(app, tenant, servers, http):
    """Finding 11: ten creates of one admin-managed name (any case) give one 201."""
    base = lambda i: f"{servers.url(i)}/admin/v1/orgs/{tenant.org_id}/groups"  # noqa: E731
    headers = {"Authorization": f"Bearer {tenant.admin_key}"}
    for name in ("Engineering", "Design", "Support"):
        answers = race([lambda i=i: http().post(base(i), json={"name": name if i % 2 else
                                                               name.upper()}, headers=headers)
                        for i in range(CONTENDERS)])
        statuses = sorted(a.status_code for a in answers)
        print(f"admin create race {name!r}: {statuses.count(201)} created of {CONTENDERS}")
        assert statuses == [201] + [409] * (CONTENDERS - 1), (name, statuses)
        loser = next(a for a in answers if a.status_code == 409)
        assert loser.headers["Content-Type"].startswith("application/problem+json")
    with app.app_context():
        session = db.new_session(app, snapshot=True)
        names = session.scalars(select(Group.display_name_norm).where(
            Group.org_id == tenant.org_id, Group.directory_id.is_(None))).all()
        session.close()
    assert sorted(names) == ["design", "engineering", "support"]


def test_group_etag_moves_when_a_member_is_deleted_or_erased(app, tenant, servers, http):
    """Finding 3: a conditional GET after a member's DELETE or erasure is not a 304."""
    (first, second), group_id = _arrange(app, tenant, 2, group_members=2)
    group_url = _scim(servers, 0, tenant, f"/Groups/{group_id}")
    client = http()
    tag = client.get(group_url, headers=_headers(tenant)).headers["ETag"]
    assert client.get(group_url, headers=_headers(tenant, **{"If-None-Match": tag})
                      ).status_code == 304
    assert client.delete(_scim(servers, 1, tenant, f"/Users/{first}"),
                         headers=_headers(tenant)).status_code == 204
    after_delete = client.get(group_url, headers=_headers(tenant, **{"If-None-Match": tag}))
    assert after_delete.status_code == 200
    assert [m["value"] for m in after_delete.json()["members"]] == [second]
    tag = after_delete.headers["ETag"]
    with app.app_context():
        session = db.new_session(app)
        account_lifecycle.erase(session, session.get(Account, second), Actor.cli())
        session.commit()
        session.close()
    after_erasure = client.get(group_url, headers=_headers(tenant, **{"If-None-Match": tag}))
    assert after_erasure.status_code == 200
    assert after_erasure.json().get("members", []) == []
    assert after_erasure.headers["ETag"] != tag
    assert _group_row(app, group_id) == (0, 0, 3)
