"""Identity-provider workarounds: each fires, and is counted, only where its profile allows."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from scim_server.models.directory import IDP_PROFILES
from scim_server.scim.errors import InvalidSyntax, InvalidValue, Mutability, NoTarget, ScimError
from scim_server.scim.patch import PATCH_OP, PatchOutcome, apply_patch
from scim_server.scim.patch_members import MemberChanges
from scim_server.scim.tolerances import ALL_TOLERANCES, PROFILES, Tolerances, tolerances_for

from .patch_support import ENTERPRISE, REGISTRY, run

USER = {"userName": "bjensen", "name": {"givenName": "Barbara"}, "active": True,
        "emails": [{"value": "babs@jensen.org", "type": "home"}],
        ENTERPRISE: {"manager": {"value": "old-boss"}}}
GROUP = {"displayName": "Tour Guides"}
EVERY_PROFILE = frozenset(IDP_PROFILES)

# The decisions, written out: which profiles switch each workaround on.
ENABLED_BY = {
    "op_case": EVERY_PROFILE,
    "operations_key": EVERY_PROFILE,
    "attribute_path_keys": EVERY_PROFILE,
    "empty_members_replace": EVERY_PROFILE,
    "string_booleans": frozenset({"entra", "onelogin"}),
    "create_on_filter": frozenset({"entra"}),
    "manager_shapes": frozenset({"entra"}),
    "remove_value_selects": frozenset({"entra", "onelogin"}),
    "readonly_echo": frozenset({"okta"}),
    "legacy_schema_urn": frozenset({"onelogin"}),
}


def test_the_profile_table_is_the_documented_decision() -> None:
    assert set(PROFILES) == EVERY_PROFILE
    assert set(ENABLED_BY) == ALL_TOLERANCES
    for name, profiles in ENABLED_BY.items():
        assert {p for p in PROFILES if name in PROFILES[p]} == profiles, name


def _user_patch(*operations: dict[str, Any]) -> Callable[[Tolerances], PatchOutcome]:
    return lambda t: run(dict(USER), *operations, tolerances=t, resource_id="u-1")[0]


def _group_patch(*operations: dict[str, Any]) -> Callable[[Tolerances], PatchOutcome]:
    return lambda t: run(dict(GROUP), *operations, resource_type="Group", tolerances=t,
                         resource_id="g-1")[0]


def _lower_case_operations_key(tolerances: Tolerances) -> PatchOutcome:
    request = {"schemas": [PATCH_OP],
               "operations": [{"op": "replace", "path": "title", "value": "Guide"}]}
    return apply_patch(REGISTRY, "User", dict(USER), request, tolerances)


# name -> (request, check on the tolerant outcome, error under strict rules)
SCENARIOS: dict[str, tuple[Callable[[Tolerances], PatchOutcome],
                           Callable[[PatchOutcome], bool], type[ScimError]]] = {
    "op_case": (
        _user_patch({"op": "Replace", "path": "title", "value": "Guide"}),
        lambda o: o.document["title"] == "Guide", InvalidSyntax),
    "operations_key": (
        _lower_case_operations_key, lambda o: o.document["title"] == "Guide", InvalidSyntax),
    "attribute_path_keys": (
        _user_patch({"op": "replace", "value": {"name.familyName": "Jensen",
                                                f"{ENTERPRISE}:department": "Tours"}}),
        lambda o: o.document["name"]["familyName"] == "Jensen"
        and o.document[ENTERPRISE]["department"] == "Tours", InvalidValue),
    "empty_members_replace": (
        _group_patch({"op": "replace", "path": "members", "value": []}),
        lambda o: o.member_changes == MemberChanges(replace_all=[]), InvalidValue),
    "string_booleans": (
        _user_patch({"op": "replace", "path": "active", "value": "False"}),
        lambda o: o.document["active"] is False, InvalidValue),
    "create_on_filter": (
        _user_patch({"op": "replace", "path": 'emails[type eq "work"].value',
                     "value": "b@work.example"}),
        lambda o: o.document["emails"][-1] == {"type": "work", "value": "b@work.example"},
        NoTarget),
    "manager_shapes": (
        _user_patch({"op": "add", "path": f"{ENTERPRISE}:manager", "value": "new-boss"}),
        lambda o: o.document[ENTERPRISE]["manager"] == {"value": "new-boss"}, InvalidValue),
    "remove_value_selects": (
        _group_patch({"op": "remove", "path": "members", "value": [{"value": "u-7"}]}),
        lambda o: o.member_changes == MemberChanges(remove=["u-7"]), InvalidValue),
    "readonly_echo": (
        _group_patch({"op": "replace", "value": {
            "id": "g-1", "displayName": "Guides", "meta": {"resourceType": "Group"},
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}}),
        lambda o: o.document == {"displayName": "Guides"}, Mutability),
}


@pytest.mark.parametrize("profile", sorted(IDP_PROFILES))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_workaround_fires_only_where_enabled(name: str, profile: str) -> None:
    request, check, strict_error = SCENARIOS[name]
    tolerances = tolerances_for(profile)
    if profile in ENABLED_BY[name]:
        assert check(request(tolerances))
        assert name in tolerances.fired
    else:
        with pytest.raises(strict_error):
            request(tolerances)
        assert tolerances.fired == []


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_workaround_can_be_switched_off_for_one_directory(name: str) -> None:
    request, _check, strict_error = SCENARIOS[name]
    tolerances = tolerances_for("entra" if "okta" not in ENABLED_BY[name] else "okta",
                                {name: False})
    with pytest.raises(strict_error):
        request(tolerances)


def test_a_plain_rfc_request_fires_nothing_anywhere() -> None:
    for profile in IDP_PROFILES:
        outcome, tolerances = run(dict(USER), {"op": "replace", "path": "active", "value": False},
                                  {"op": "add", "path": "emails",
                                   "value": [{"value": "b@x.org", "type": "work"}]},
                                  profile=profile)
        assert outcome.changed and tolerances.fired == []


@pytest.mark.parametrize("value", ["True", "false", " TRUE "])
def test_string_booleans_in_values_filters_and_path_less_objects(value: str) -> None:
    expected = value.strip().lower() == "true"
    document = dict(USER, roles=[{"value": "reader", "primary": True}])
    outcome, tolerances = run(document,
                              {"op": "replace", "value": {"active": value}},
                              {"op": "Replace", "path": 'roles[primary eq "True"].value',
                               "value": "admin"}, profile="entra")
    assert outcome.document["active"] is expected
    assert outcome.document["roles"] == [{"value": "admin", "primary": True}]
    assert tolerances.fired.count("string_booleans") == 2


def test_create_on_filter_for_add_and_with_a_whole_element() -> None:
    outcome, tolerances = run(dict(USER),
                              {"op": "add", "path": 'addresses[type eq "work"]',
                               "value": {"locality": "Hollywood"}},
                              {"op": "add", "path": 'phoneNumbers[type eq "mobile"].value',
                               "value": "555"}, profile="entra")
    assert outcome.document["addresses"] == [{"type": "work", "locality": "Hollywood"}]
    assert outcome.document["phoneNumbers"] == [{"type": "mobile", "value": "555"}]
    assert tolerances.fired == ["create_on_filter", "create_on_filter"]


def test_create_on_filter_needs_a_filter_that_describes_one_element() -> None:
    with pytest.raises(NoTarget):
        run(dict(USER), {"op": "replace", "path": 'emails[type ne "home"].value',
                         "value": "x"}, profile="entra")


@pytest.mark.parametrize("value", [[{"value": "new-boss"}], "new-boss", {"value": "new-boss"}])
def test_manager_shapes(value: Any) -> None:
    for path, payload in ((f"{ENTERPRISE}:manager", value),
                          (None, {f"{ENTERPRISE}:manager": value})):
        operation = {"op": "replace", "value": payload, **({"path": path} if path else {})}
        outcome, _ = run(dict(USER), operation, profile="entra")
        assert outcome.document[ENTERPRISE]["manager"] == {"value": "new-boss"}


def test_entra_removes_a_manager_named_in_the_value_only_if_still_current() -> None:
    path = f"{ENTERPRISE}:manager"
    outcome, tolerances = run(dict(USER), {"op": "Remove", "path": path,
                                           "value": [{"value": "someone-else"}]},
                              profile="entra")
    assert outcome.changed is False
    outcome, _ = run(dict(USER), {"op": "Remove", "path": path, "value": "old-boss"},
                     profile="entra")
    assert ENTERPRISE not in outcome.document
    with pytest.raises(InvalidValue):
        run(dict(USER), {"op": "remove", "path": path, "value": "old-boss"})


def test_remove_value_selects_elements_of_other_attributes_too() -> None:
    outcome, _ = run(dict(USER), {"op": "Remove", "path": "emails",
                                  "value": [{"value": "BABS@jensen.org"}]}, profile="entra")
    assert "emails" not in outcome.document


@pytest.mark.parametrize("echo", [
    {"id": "someone-else"},
    {"schemas": ["urn:example:not:ours"]},
    {"meta": "not an object"},
])
def test_readonly_echo_only_ignores_values_that_really_are_echoes(echo: dict[str, Any]) -> None:
    with pytest.raises(Mutability):
        run(dict(GROUP), {"op": "replace", "value": {"displayName": "G", **echo}},
            resource_type="Group", profile="okta", resource_id="g-1")


def test_readonly_echo_needs_the_resource_id() -> None:
    with pytest.raises(Mutability):
        run(dict(GROUP), {"op": "replace", "value": {"id": "g-1", "displayName": "G"}},
            resource_type="Group", profile="okta")


def test_an_entra_user_update_replays_cleanly() -> None:
    """A request shaped like Entra ID's user sync: capitalised ops, string booleans, ..."""
    outcome, tolerances = run(dict(USER),
                              {"op": "Replace", "path": "active", "value": "False"},
                              {"op": "Add", "path": 'emails[type eq "work"].value',
                               "value": "babs@contoso.com"},
                              {"op": "Replace", "path": "name.familyName", "value": "Jensen"},
                              {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "boss"},
                              {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Tours"},
                              profile="entra")
    assert outcome.document == {
        "userName": "bjensen", "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": False,
        "emails": [{"value": "babs@jensen.org", "type": "home"},
                   {"type": "work", "value": "babs@contoso.com"}],
        ENTERPRISE: {"manager": {"value": "boss"}, "department": "Tours"},
    }
    assert tolerances.counts() == {"op_case": 5, "string_booleans": 1, "create_on_filter": 1,
                                   "manager_shapes": 1}


def test_tolerances_for_builds_a_fresh_record_each_time() -> None:
    first, second = tolerances_for("entra"), tolerances_for("entra")
    first.use("op_case")
    assert second.fired == [] and first.counts() == {"op_case": 1}
    assert first.use("readonly_echo") is False and first.fired == ["op_case"]
    assert first.allows("create_on_filter") and not tolerances_for("okta").allows(
        "create_on_filter")


def test_lenient_booleans_follows_string_booleans() -> None:
    assert tolerances_for("entra").lenient_booleans is True
    assert tolerances_for("generic").lenient_booleans is False
    assert tolerances_for("generic", {"string_booleans": True}).lenient_booleans is True


def test_unknown_profiles_and_workarounds_are_refused() -> None:
    with pytest.raises(ValueError, match="profile"):
        tolerances_for("azure")
    with pytest.raises(ValueError, match="tolerance"):
        tolerances_for("generic", {"be_nice": True})
