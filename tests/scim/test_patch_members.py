"""Group `members` operations become `MemberChanges`, never a member list (RFC 7644 §3.5.2)."""
from __future__ import annotations

from typing import Any

import pytest

from scim_server.scim.errors import InvalidPath, InvalidValue
from scim_server.scim.patch import apply_patch
from scim_server.scim.patch_members import MemberChanges
from scim_server.scim.tolerances import tolerances_for

from .patch_support import REGISTRY, rfc_patch, run

BABS = "2819c223-7f76-453a-919d-413861904646"
JAMES = "08e1d05d-121c-4561-8b96-473d93df9210"
GROUP = {"displayName": "Tour Guides"}


def _changes(*operations: dict[str, Any], profile: str = "generic") -> MemberChanges:
    outcome, _ = run(dict(GROUP), *operations, resource_type="Group", profile=profile)
    assert outcome.document == GROUP  # members never enter the document
    assert outcome.member_changes is not None
    return outcome.member_changes


def _rfc(name: str) -> MemberChanges:
    outcome = apply_patch(REGISTRY, "Group", dict(GROUP), rfc_patch(name),
                          tolerances_for("generic"))
    assert outcome.changed is True and outcome.document == GROUP
    assert outcome.member_changes is not None
    return outcome.member_changes


def test_rfc_7644_3_5_2_1_add_member() -> None:
    changes = _rfc("3.5.2.1-add-member")
    assert [m["value"] for m in changes.add] == [BABS]
    assert changes.remove == [] and changes.replace_all is None


def test_rfc_7644_3_5_2_2_remove_members() -> None:
    assert _rfc("3.5.2.2-remove-one-member") == MemberChanges(remove=[BABS])
    assert _rfc("3.5.2.2-remove-all-members") == MemberChanges(replace_all=[])
    assert _rfc("3.5.2.2-remove-two-members").remove == [
        BABS, "9067729b3d-ee533c-4d3d-9a8b-a4f2d19a9fb3"]
    changes = _rfc("3.5.2.2-remove-all-then-add")
    assert changes.add == [] and changes.remove == []
    assert [m["value"] for m in changes.replace_all or []] == [JAMES]


def test_rfc_7644_3_5_2_3_replace_members() -> None:
    changes = _rfc("3.5.2.3-replace-members")
    assert [m["value"] for m in changes.replace_all or []] == [BABS, JAMES]


def test_path_less_add_and_replace_carry_members() -> None:
    added = _changes({"op": "add", "value": {"members": [{"value": "u1", "type": "user"}]}})
    assert added.add == [{"value": "u1", "type": "User"}]
    replaced = _changes({"op": "replace", "value": {"displayName": "Tour Guides",
                                                   "members": [{"value": "u2"}]}})
    assert replaced.replace_all == [{"value": "u2"}]
    cleared = _changes({"op": "replace", "value": {"members": None}})
    assert cleared.replace_all == []


def test_replace_members_with_an_empty_list_removes_all() -> None:
    outcome, tolerances = run(dict(GROUP), {"op": "replace", "path": "members", "value": []},
                              resource_type="Group")
    assert outcome.member_changes == MemberChanges(replace_all=[])
    assert tolerances.fired == ["empty_members_replace"]


def test_a_value_eq_disjunction_removes_each_id() -> None:
    changes = _changes({"op": "remove", "path": 'members[value eq "a" or value eq "b"]'})
    assert changes.remove == ["a", "b"]


def test_edits_compose_in_request_order() -> None:
    changes = _changes(
        {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
        {"op": "remove", "path": 'members[value eq "a"]'},
        {"op": "remove", "path": 'members[value eq "c"]'},
        {"op": "add", "path": "members", "value": [{"value": "c"}, {"value": "b"}]},
    )
    assert changes == MemberChanges(add=[{"value": "b"}, {"value": "c"}], remove=["a"])
    replaced = _changes(
        {"op": "replace", "path": "members", "value": [{"value": "a"}]},
        {"op": "add", "path": "members", "value": [{"value": "b"}, {"value": "a"}]},
        {"op": "remove", "path": 'members[value eq "a"]'},
    )
    assert replaced == MemberChanges(replace_all=[{"value": "b"}])


def test_adding_nothing_changes_nothing() -> None:
    outcome, _ = run(dict(GROUP), {"op": "add", "path": "members", "value": []},
                     resource_type="Group")
    assert outcome.changed is False


@pytest.mark.parametrize("path", [
    'members[type eq "User"]',
    'members[value ne "a"]',
    'members[value eq "a" and type eq "User"]',
    'members[value eq "a"].display',
    "members.value",
])
def test_other_member_selections_are_not_supported(path: str) -> None:
    with pytest.raises(InvalidPath, match="not supported"):
        _changes({"op": "remove", "path": path})


def test_members_cannot_be_added_or_replaced_through_a_filter() -> None:
    with pytest.raises(InvalidPath, match="not supported"):
        _changes({"op": "replace", "path": 'members[value eq "a"]', "value": {"value": "b"}})
    with pytest.raises(InvalidPath, match="not supported"):
        _changes({"op": "add", "path": 'members[value eq "a"].value', "value": "b"})


@pytest.mark.parametrize("value", [
    [{"display": "no id"}],
    [{"value": ""}],
    [{"value": 42}],
    ["u1"],
    [{"value": "u1", "type": "Robot"}],
    [{"value": "u1", "owner": "x"}],
])
def test_member_values_are_checked(value: Any) -> None:
    with pytest.raises(InvalidValue):
        _changes({"op": "add", "path": "members", "value": value})


def test_remove_with_a_value_is_refused_without_the_workaround() -> None:
    """Read literally, RFC 7644 §3.5.2.2 would empty the group; refusing loses nothing."""
    with pytest.raises(InvalidValue, match="carries no value"):
        _changes({"op": "remove", "path": "members", "value": [{"value": BABS}]})
    with pytest.raises(InvalidValue, match="carries no value"):
        _changes({"op": "remove", "path": f'members[value eq "{BABS}"]',
                  "value": [{"value": BABS}]})


def test_remove_with_a_value_removes_only_those_members_for_entra() -> None:
    outcome, tolerances = run(dict(GROUP), {"op": "Remove", "path": "members",
                                            "value": [{"value": BABS}, {"value": JAMES}]},
                              resource_type="Group", profile="entra")
    assert outcome.member_changes == MemberChanges(remove=[BABS, JAMES])
    assert tolerances.fired == ["op_case", "remove_value_selects"]
