"""Nesting past the one limit, or into a cycle, is refused on SCIM and the admin API."""
from __future__ import annotations

from flask import Flask

from scim_server import db
from scim_server.models import Group, GroupMember
from scim_server.services.group_nesting import MAX_NESTING_DEPTH

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _chain(app: Flask, org_id: str, directory_id: str | None, length: int) -> list[str]:
    """Groups g0 ⊃ g1 ⊃ ... written straight to the database; ids outermost first."""
    session = db.new_session(app)
    groups = [Group(org_id=org_id, directory_id=directory_id,
                    source="synced" if directory_id else "admin", display_name=f"g{i}",
                    display_name_norm=f"g{i}", attributes={}) for i in range(length)]
    session.add_all(groups)
    session.flush()
    session.add_all(GroupMember(group_id=outer.id, member_id=inner.id, member_type="Group")
                    for outer, inner in zip(groups, groups[1:]))
    ids = [g.id for g in groups]
    session.commit()
    session.close()
    return ids


def test_scim_refuses_a_chain_past_the_limit(app: Flask, scim, tenant) -> None:
    chain = _chain(app, tenant.org_id, tenant.directory_id, MAX_NESTING_DEPTH)
    spare = scim.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                       "displayName": "spare"}).get_json()["id"]
    response = scim.patch(f"/Groups/{chain[-1]}", json={"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": spare}]}]})
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    assert str(MAX_NESTING_DEPTH) in response.get_json()["detail"]
    inside = scim.patch(f"/Groups/{chain[1]}", json={"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": spare}]}]})
    assert inside.status_code in (200, 204)


def test_admin_api_refuses_a_chain_past_the_limit(app: Flask, client, tenant) -> None:
    chain = _chain(app, tenant.org_id, None, MAX_NESTING_DEPTH)
    headers = {"Authorization": f"Bearer {tenant.admin_key}"}
    spare = client.post(f"{tenant.admin_base}/groups", json={"name": "spare"},
                        headers=headers).get_json()["id"]
    response = client.post(f"{tenant.admin_base}/groups/{chain[-1]}/members",
                           json={"group_id": spare}, headers=headers)
    assert response.status_code == 409, response.get_json()
    assert str(MAX_NESTING_DEPTH) in response.get_json()["detail"]
