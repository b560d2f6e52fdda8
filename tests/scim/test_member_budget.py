"""List pages render group members up to a budget (scim/member_budget.py).

Issue 12 finding 8: `GET /Groups?count=1000` rendered every member of every group on
the page; the memory figure is proven with a real server in tests/ops/test_list_memory.py.
"""
from __future__ import annotations

import pytest

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def groups(scim, app, monkeypatch) -> dict[str, str]:
    monkeypatch.setattr(app.config["SCIM"], "list_member_budget", 6)
    users = [scim.post("/Users", json={"schemas": [CORE_USER], "userName": f"u{n}"}
                       ).get_json()["id"] for n in range(6)]
    ids = {}
    for name, size in (("a-three", 3), ("b-six", 6), ("c-two", 2), ("d-one", 1)):
        body = {"schemas": [CORE_GROUP], "displayName": name,
                "members": [{"value": u} for u in users[:size]]}
        ids[name] = scim.post("/Groups", json=body).get_json()["id"]
    return ids


def _members(resources: list[dict]) -> dict[str, int | None]:
    return {r["displayName"]: len(r["members"]) if "members" in r else None
            for r in resources}


def test_a_page_renders_members_within_the_budget_and_says_what_it_left_out(scim, groups):
    response = scim.get("/Groups?sortBy=displayName")
    assert response.status_code == 200
    # Budget 6: 3 fit (3 left), 6 do not, 2 fit (1 left), 1 fits (0 left).
    assert _members(response.get_json()["Resources"]) == {
        "a-three": 3, "b-six": None, "c-two": 2, "d-one": 1}
    assert response.headers["SCIM-Members-Omitted"].startswith("1 group(s)")
    assert "GET /Groups/{id}" in response.headers["SCIM-Members-Omitted"]


def test_searches_use_the_same_budget(scim, groups):
    for path in ("/Groups/.search", "/.search"):
        response = scim.post(path, json={"schemas": [SEARCH], "sortBy": "displayName",
                                         "filter": 'displayName sw "a" or displayName sw "b"'})
        assert response.status_code == 200, response.get_json()
        resources = [r for r in response.get_json()["Resources"] if "displayName" in r]
        assert _members(resources) == {"a-three": 3, "b-six": None}, path
        assert "SCIM-Members-Omitted" in response.headers


def test_a_group_read_by_id_is_always_whole(scim, groups):
    whole = scim.get(f"/Groups/{groups['b-six']}").get_json()
    assert len(whole["members"]) == 6
    projected = scim.get(f"/Groups/{groups['b-six']}?attributes=members.value").get_json()
    assert len(projected["members"]) == 6


def test_nothing_is_omitted_when_members_are_not_asked_for(scim, groups):
    response = scim.get("/Groups?excludedAttributes=members")
    assert "SCIM-Members-Omitted" not in response.headers
    small = scim.get('/Groups?filter=displayName eq "a-three"')
    assert "SCIM-Members-Omitted" not in small.headers
    assert len(small.get_json()["Resources"][0]["members"]) == 3
