"""The draft core URN `urn:scim:schemas:core:2.0` (OneLogin's PUT) is read as the RFC 7643
§8.7.1 one under the `onelogin` profile only, and counted as `legacy_schema_urn`."""
from __future__ import annotations

import pytest

from scim_server.scim.legacy_schemas import upgrade_legacy_schemas
from scim_server.scim.tolerances import tolerances_for

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.mark.parametrize("sent, core, expected", [
    (["urn:scim:schemas:core:2.0"], CORE_USER, [CORE_USER]),
    (["urn:scim:schemas:core:2.0", ENTERPRISE], CORE_USER, [CORE_USER, ENTERPRISE]),
    (["URN:SCIM:SCHEMAS:CORE:2.0:User"], CORE_USER, [CORE_USER]),
    (["urn:scim:schemas:core:2.0:Group"], CORE_GROUP, [CORE_GROUP]),
    ([CORE_USER, "urn:scim:schemas:core:2.0"], CORE_USER, [CORE_USER]),
])
def test_the_draft_urn_becomes_the_core_urn_and_is_counted(sent, core, expected):
    tolerances = tolerances_for("onelogin")
    body = upgrade_legacy_schemas({"schemas": sent, "userName": "x"}, core, tolerances)
    assert body == {"schemas": expected, "userName": "x"}
    assert tolerances.fired == ["legacy_schema_urn"]


@pytest.mark.parametrize("sent", [
    [CORE_USER], ["urn:scim:schemas:core:1.0"], ["urn:scim:schemas:core:2.0:Group"], "x", None])
def test_anything_else_is_left_alone(sent):
    tolerances = tolerances_for("onelogin")
    body = {"schemas": sent}
    assert upgrade_legacy_schemas(body, CORE_USER, tolerances) is body
    assert tolerances.fired == []


@pytest.mark.parametrize("idp", ["generic", "okta", "entra", "google", "jumpcloud"])
def test_other_profiles_refuse_the_draft_urn(idp, make_tenant, make_scim_client):
    scim = make_scim_client(make_tenant(idp=idp))
    created = scim.post("/Users", json={"schemas": [CORE_USER], "userName": "hank"})
    assert created.status_code == 201
    response = scim.put(f"/Users/{created.get_json()['id']}", json={
        "schemas": ["urn:scim:schemas:core:2.0"], "userName": "hank"})
    assert response.status_code == 400
    assert response.get_json()["detail"] == f"schemas must include {CORE_USER}"


def test_onelogin_puts_a_group_with_the_draft_urn(make_tenant, make_scim_client):
    scim = make_scim_client(make_tenant(idp="onelogin"))
    group = scim.post("/Groups", json={"schemas": [CORE_GROUP], "displayName": "Ops"})
    replaced = scim.put(f"/Groups/{group.get_json()['id']}", json={
        "schemas": ["urn:scim:schemas:core:2.0"], "displayName": "Operations"})
    assert replaced.status_code == 200, replaced.get_json()
    assert replaced.get_json()["displayName"] == "Operations"
    assert replaced.get_json()["schemas"] == [CORE_GROUP]
