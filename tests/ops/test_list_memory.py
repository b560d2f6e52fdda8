"""A worker's memory stays bounded whatever a list page holds (issue 12 finding 8).

Five groups of 20,000 members listed with `GET /Groups?count=1000` made a 20 MB response
and a 477 MB worker. A real `scim-server serve` process answers the lists here, and its
peak resident memory (VmHWM) is read from /proc after them.
"""
from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import insert

from conftest import Tenant
from scim_server import db
from scim_server.models import Account, DirectoryUser, Group, GroupMember

from .conftest import ServerProcess

MEMBERS = 20_000
BIG_GROUPS = 5
WORKER_LIMIT_MB = 200
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _seed(app: Flask, tenant: Tenant) -> None:
    """BIG_GROUPS groups of MEMBERS users each, and two groups of 5,000."""
    with app.app_context():
        session = db.new_session(app, writes=True)
        ids = [str(uuid.uuid4()) for _ in range(MEMBERS)]
        session.execute(insert(Account), [
            {"id": i, "org_id": tenant.org_id, "source": "synced",
             "directory_id": tenant.directory_id} for i in ids])
        session.execute(insert(DirectoryUser), [
            {"id": i, "directory_id": tenant.directory_id, "user_name": f"member{n}",
             "user_name_norm": f"member{n}", "display_name": f"Member {n}",
             "attributes": {}} for n, i in enumerate(ids)])
        sizes = [MEMBERS] * BIG_GROUPS + [5_000, 5_000]
        for n, size in enumerate(sizes):
            group = Group(org_id=tenant.org_id, directory_id=tenant.directory_id,
                          source="synced", display_name=f"big {n}",
                          display_name_norm=f"big {n}", attributes={}, member_count=size)
            session.add(group)
            session.flush()
            session.execute(insert(GroupMember), [
                {"group_id": group.id, "member_id": i, "member_type": "User"}
                for i in ids[:size]])
        session.commit()
        session.close()


def _peak_rss_mb(pid: int) -> float:
    """The largest peak resident memory among gunicorn's workers (children of `pid`)."""
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
        workers = [int(child) for child in children.read().split()]
    assert workers, "gunicorn has no worker"
    peaks = []
    for worker in workers:
        with open(f"/proc/{worker}/status", encoding="ascii") as status:
            peaks += [int(line.split()[1]) / 1024 for line in status
                      if line.startswith("VmHWM:")]
    return max(peaks)


def _call(server: ServerProcess, tenant: Tenant, path: str, body: Any = None
          ) -> tuple[int, dict[str, str], int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{server.base_url}{tenant.scim_base}{path}", data=data,
        headers={**tenant.scim_headers, "Content-Type": "application/scim+json"})
    with urllib.request.urlopen(request, timeout=300) as answer:
        raw = answer.read()
        return answer.status, dict(answer.headers), len(raw), json.loads(raw)


@pytest.mark.parametrize("budget", [None, "100000000"], ids=["default", "unbounded"])
def test_a_worker_stays_under_200_mb_listing_groups_of_20000(
        app: Flask, tenant: Tenant, start_server: Callable[..., ServerProcess],
        budget: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(app, tenant)
    env = {"SCIM_LIST_MEMBER_BUDGET": budget} if budget else {}
    server = start_server(env=env)
    before = _peak_rss_mb(server.process.pid)
    sizes = []
    for path, body in (("/Groups?count=1000", None),
                       ("/Groups/.search", {"schemas": [SEARCH], "count": 1000}),
                       ("/.search", {"schemas": [SEARCH], "count": 1000,
                                     "filter": 'displayName sw "big"'})):
        status, headers, size, document = _call(server, tenant, path, body)
        assert status == 200 and document["totalResults"] == BIG_GROUPS + 2
        rendered = sum(len(r.get("members", [])) for r in document["Resources"])
        sizes.append((path, size, rendered, headers.get("SCIM-Members-Omitted")))
    peak = _peak_rss_mb(server.process.pid)
    with capsys.disabled():
        print(f"\n[{budget or 'default budget'}] worker RSS {before:.0f} MB at start, "
              f"peak {peak:.0f} MB; responses: {sizes}")
    if budget is None:
        assert peak < WORKER_LIMIT_MB, sizes
        # The two groups of 5,000 fill the default budget of 10,000; the rest is omitted.
        assert all(rendered == 10_000 and omitted and omitted.startswith("5 group")
                   for _path, _size, rendered, omitted in sizes), sizes
