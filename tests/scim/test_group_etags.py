"""A group's ETag names one state of its members, whatever route changed them.

RFC 7644 §3.14: a conditional GET answers 304 only while the resource is unchanged. A
member leaving through a user's DELETE or an account's erasure changes the group.
"""
from __future__ import annotations

from flask import Flask

from scim_server import db
from scim_server.models import Account, Group
from scim_server.services import account_lifecycle
from scim_server.services.actors import Actor

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _setup(scim) -> tuple[str, str, str, str]:  # type: ignore[no-untyped-def]
    ada, bob = (scim.post("/Users", json={"schemas": [USER], "userName": n}).get_json()["id"]
                for n in ("ada", "bob"))
    group = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "G",
                                       "members": [{"value": ada}, {"value": bob}]})
    return ada, bob, group.get_json()["id"], group.headers["ETag"]


def _conditional(scim, group_id: str, tag: str):  # type: ignore[no-untyped-def]
    return scim.get(f"/Groups/{group_id}", headers={"If-None-Match": tag})


def test_a_member_deleted_over_scim_changes_the_group_etag(scim) -> None:
    ada, bob, group_id, tag = _setup(scim)
    assert tag == 'W/"1"' and _conditional(scim, group_id, tag).status_code == 304
    assert scim.delete(f"/Users/{ada}").status_code == 204
    after = _conditional(scim, group_id, tag)
    assert after.status_code == 200 and after.headers["ETag"] == 'W/"2"'
    assert [m["value"] for m in after.get_json()["members"]] == [bob]


def test_an_erased_member_changes_the_group_etag(app: Flask, scim) -> None:
    _ada, bob, group_id, tag = _setup(scim)
    session = db.new_session(app)
    account_lifecycle.erase(session, session.get(Account, bob), Actor.cli())
    session.commit()
    session.close()
    after = _conditional(scim, group_id, tag)
    assert after.status_code == 200 and after.headers["ETag"] == 'W/"2"'
    session = db.new_session(app, snapshot=True)
    assert session.get(Group, group_id).member_count == 1
    session.close()


def test_a_patch_that_changes_nothing_keeps_the_etag(scim) -> None:
    ada, _bob, group_id, tag = _setup(scim)
    response = scim.patch(f"/Groups/{group_id}", json={"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": ada}]}]})
    assert response.headers["ETag"] == tag
    assert _conditional(scim, group_id, tag).status_code == 304
