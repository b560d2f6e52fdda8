"""Add, replace and remove on the attributes document (RFC 7644 §3.5.2.1-3)."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from scim_server.scim.errors import InvalidValue, Mutability, NoTarget
from scim_server.scim.patch import apply_patch
from scim_server.scim.schema_registry import CORE_USER, SchemaRegistry
from scim_server.scim.tolerances import tolerances_for

from .patch_support import ENTERPRISE, ROOT, body, patched, rfc_user, run

WORK = 'emails[type eq "work"]'


def _user() -> dict[str, Any]:
    return {
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
                   {"value": "babs@jensen.org", "type": "home"}],
        "active": True,
    }


# --- add (RFC 7644 §3.5.2.1) ---------------------------------------------------------------

def test_add_sets_an_absent_attribute_and_replaces_a_single_value() -> None:
    assert patched(_user(), {"op": "add", "path": "title", "value": "Guide"})["title"] == "Guide"
    document = patched(_user(), {"op": "add", "path": "userName", "value": "babs"})
    assert document["userName"] == "babs"


def test_add_on_a_complex_attribute_merges_its_sub_attributes() -> None:
    document = patched(_user(), {"op": "add", "path": "name",
                                 "value": {"middleName": "Jane", "givenName": "Babs"}})
    assert document["name"] == {"givenName": "Babs", "familyName": "Jensen",
                                "middleName": "Jane"}


def test_add_a_sub_attribute_creates_its_parent() -> None:
    document = _user()
    del document["name"]
    assert patched(document, {"op": "add", "path": "name.givenName", "value": "B"})["name"] == {
        "givenName": "B"}


def test_add_appends_to_a_multi_valued_attribute_without_duplicates() -> None:
    outcome, _ = run(_user(), {"op": "add", "path": "emails", "value": [
        {"value": "babs@jensen.org", "type": "home"},
        {"value": "b@work.example", "type": "other"},
        {"value": "b@work.example", "type": "other"},
    ]})
    assert outcome.document["emails"] == _user()["emails"] + [
        {"value": "b@work.example", "type": "other"}]
    single = patched(_user(), {"op": "add", "path": "phoneNumbers", "value": {"value": "555"}})
    assert single["phoneNumbers"] == [{"value": "555"}]


def test_add_with_a_filter_merges_into_the_matching_elements() -> None:
    document = patched(_user(), {"op": "add", "path": WORK, "value": {"display": "Work"}})
    assert document["emails"][0] == {"value": "bjensen@example.com", "type": "work",
                                     "primary": True, "display": "Work"}


def test_add_with_an_unmatched_filter_is_no_target_by_default() -> None:
    with pytest.raises(NoTarget):
        run(_user(), {"op": "add", "path": 'emails[type eq "other"].value', "value": "x"})


# --- replace (RFC 7644 §3.5.2.3) -----------------------------------------------------------

def test_replace_on_a_multi_valued_attribute_without_filter_replaces_all() -> None:
    value = [{"value": "new@example.com", "type": "work"}]
    assert patched(_user(), {"op": "replace", "path": "emails", "value": value})["emails"] == value


def test_replace_with_an_empty_list_or_null_unassigns() -> None:
    assert "emails" not in patched(_user(), {"op": "replace", "path": "emails", "value": []})
    assert "name" not in patched(_user(), {"op": "replace", "path": "name", "value": None})
    document = patched(_user(), {"op": "replace", "value": {"active": None}})
    assert "active" not in document


def test_replace_on_a_complex_attribute_leaves_unnamed_sub_attributes() -> None:
    document = patched(_user(), {"op": "replace", "path": "name",
                                 "value": {"givenName": "Babs", "familyName": None}})
    assert document["name"] == {"givenName": "Babs"}


def test_replace_with_a_filter_and_sub_attribute_changes_only_matches() -> None:
    document = patched(_user(), {"op": "replace", "path": f"{WORK}.value",
                                 "value": "barbara@example.com"})
    assert [e["value"] for e in document["emails"]] == ["barbara@example.com",
                                                         "babs@jensen.org"]


def test_replace_with_a_filter_replaces_whole_matching_elements() -> None:
    document = patched(_user(), {"op": "replace", "path": 'emails[type eq "home"]',
                                 "value": {"value": "b@home.example", "type": "home"}})
    assert document["emails"][1] == {"value": "b@home.example", "type": "home"}


def test_replace_with_an_unmatched_filter_is_no_target() -> None:
    """RFC 7644 §3.5.2.3: no record match for a valuePath filter → 400 noTarget."""
    with pytest.raises(NoTarget, match="matches"):
        run(_user(), {"op": "replace", "path": 'addresses[type eq "work"].locality',
                      "value": "Hollywood"})


def test_a_sub_attribute_without_filter_applies_to_every_element() -> None:
    document = patched(_user(), {"op": "replace", "path": "emails.display", "value": "B"})
    assert [e["display"] for e in document["emails"]] == ["B", "B"]
    document = patched(document, {"op": "remove", "path": "emails.display"})
    assert document["emails"] == _user()["emails"]
    empty = {"userName": "x"}
    assert patched(empty, {"op": "add", "path": "emails.value", "value": "a@b"})["emails"] == [
        {"value": "a@b"}]


# --- remove (RFC 7644 §3.5.2.2) ------------------------------------------------------------

def test_remove_a_single_valued_or_multi_valued_attribute_unassigns_it() -> None:
    assert "active" not in patched(_user(), {"op": "remove", "path": "active"})
    assert "emails" not in patched(_user(), {"op": "remove", "path": "emails"})
    assert "givenName" not in patched(_user(), {"op": "remove", "path": "name.givenName"})["name"]


def test_remove_with_a_filter_removes_matching_elements_and_then_the_attribute() -> None:
    document = patched(_user(), {"op": "remove", "path": WORK})
    assert document["emails"] == [{"value": "babs@jensen.org", "type": "home"}]
    document = patched(document, {"op": "remove", "path": 'emails[type eq "home"]'})
    assert "emails" not in document


def test_remove_a_sub_attribute_of_matching_elements() -> None:
    document = patched(_user(), {"op": "remove", "path": f"{WORK}.primary"})
    assert document["emails"][0] == {"value": "bjensen@example.com", "type": "work"}


def test_remove_of_something_absent_is_a_no_op() -> None:
    outcome, _ = run(_user(), {"op": "remove", "path": "nickName"},
                     {"op": "remove", "path": 'emails[type eq "other"]'},
                     {"op": "remove", "path": "addresses.locality"})
    assert outcome.changed is False


def test_remove_of_a_required_attribute_is_refused() -> None:
    with pytest.raises(Mutability, match="required"):
        run(_user(), {"op": "remove", "path": "userName"})


def test_remove_with_a_value_is_refused_under_strict_rules() -> None:
    with pytest.raises(InvalidValue, match="carries no value"):
        run(_user(), {"op": "remove", "path": "emails",
                      "value": [{"value": "babs@jensen.org"}]})


# --- primary, paths, names, mutability -----------------------------------------------------

@pytest.mark.parametrize("operation", [
    {"op": "add", "path": "emails", "value": [{"value": "new@x.org", "primary": True}]},
    {"op": "replace", "path": 'emails[type eq "home"].primary', "value": True},
    {"op": "add", "path": 'emails[type eq "home"]', "value": {"primary": True}},
    {"op": "replace", "value": {"emails": [{"value": "a@x", "primary": False},
                                           {"value": "b@x", "primary": True}]}},
])
def test_setting_primary_clears_it_on_the_other_values(operation: dict[str, Any]) -> None:
    emails = patched(_user(), operation)["emails"]
    assert [e.get("primary") for e in emails].count(True) == 1
    assert emails[0].get("primary") is not True


def test_two_primary_values_in_one_operation_are_refused() -> None:
    with pytest.raises(InvalidValue, match="primary"):
        run(_user(), {"op": "add", "path": "emails", "value": [
            {"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}]})


@pytest.mark.parametrize("path", [
    f"{ENTERPRISE}:manager", f"{ENTERPRISE.upper()}:MANAGER",
])
def test_urn_qualified_paths_reach_the_extension(path: str) -> None:
    document = patched(_user(), {"op": "add", "path": path,
                                 "value": {"value": "boss-id", "displayName": "Boss"}})
    assert document[ENTERPRISE] == {"manager": {"value": "boss-id"}}  # displayName is read-only


def test_a_core_urn_qualified_path_is_the_plain_attribute() -> None:
    document = patched(_user(), {"op": "replace", "path": f"{CORE_USER}:name.givenName",
                                 "value": "Babs"})
    assert document["name"]["givenName"] == "Babs"


def test_a_path_that_is_the_extension_urn_targets_the_whole_extension() -> None:
    document = patched(_user(), {"op": "replace", "path": ENTERPRISE,
                                 "value": {"department": "Tours", "costCenter": "4130"}})
    assert document[ENTERPRISE] == {"department": "Tours", "costCenter": "4130"}
    assert ENTERPRISE not in patched(document, {"op": "remove", "path": ENTERPRISE})


def test_a_path_less_value_may_nest_extension_attributes_under_their_urn() -> None:
    outcome, tolerances = run(_user(), {"op": "add", "value": {
        ENTERPRISE: {"department": "Tours"}, "title": "Guide"}})
    assert outcome.document[ENTERPRISE] == {"department": "Tours"}
    assert outcome.document["title"] == "Guide"
    assert tolerances.fired == []


def test_names_and_filters_are_case_insensitive() -> None:
    document = patched(_user(), {"op": "replace", "path": 'EMAILS[TYPE eq "WORK"].VALUE',
                                 "value": "b@x.org"},
                       {"op": "replace", "path": "NAME.GIVENNAME", "value": "Babs"})
    assert document["emails"][0]["value"] == "b@x.org"
    assert document["name"]["givenName"] == "Babs"


def test_case_exact_sub_attributes_compare_exactly() -> None:
    """`photos.value` is caseExact (RFC 7643 §4.1.2): a differently cased URL is another."""
    document = rfc_user()
    url = document["photos"][0]["value"]
    unchanged = patched(document, {"op": "remove", "path": f'photos[value eq "{url.upper()}"]'})
    assert len(unchanged["photos"]) == 2
    removed = patched(document, {"op": "remove", "path": f'photos[value eq "{url}"]'})
    assert len(removed["photos"]) == 1


def _registry_with_immutable_external_id() -> SchemaRegistry:
    registry = SchemaRegistry.load(ROOT / "schemas")
    registry.common["externalid"] = dataclasses.replace(registry.common["externalid"],
                                                        mutability="immutable")
    return registry


def test_an_immutable_attribute_can_be_set_once_but_not_changed() -> None:
    registry = _registry_with_immutable_external_id()
    strict = tolerances_for("generic")

    def apply(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
        return apply_patch(registry, "User", document, body(operation), strict).document

    document = apply(_user(), {"op": "add", "path": "externalId", "value": "e1"})
    assert document["externalId"] == "e1"
    assert apply(document, {"op": "replace", "path": "externalId", "value": "e1"}) == document
    with pytest.raises(Mutability, match="immutable"):
        apply(document, {"op": "replace", "path": "externalId", "value": "e2"})
    with pytest.raises(Mutability, match="immutable"):
        apply(document, {"op": "remove", "path": "externalId"})
