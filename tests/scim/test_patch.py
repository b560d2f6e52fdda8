"""The PATCH engine's request handling (RFC 7644 §3.5.2): validation, atomicity, outcome."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from scim_server.scim.errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget
from scim_server.scim.patch import MAX_OPERATIONS, PATCH_OP, apply_patch
from scim_server.scim.tolerances import tolerances_for

from .patch_support import ENTERPRISE, REGISTRY, USER_ID, patched, rfc_patch, rfc_user, run


def _apply(request: Any, profile: str = "generic") -> None:
    apply_patch(REGISTRY, "User", rfc_user(), request, tolerances_for(profile))


@pytest.mark.parametrize("request_body, detail", [
    ([], "JSON object"),
    ("op=add", "JSON object"),
    (None, "JSON object"),
    ({"Operations": [{"op": "add", "path": "title", "value": "x"}]}, "schemas"),
    ({"schemas": PATCH_OP, "Operations": [{"op": "add", "path": "title", "value": "x"}]},
     "schemas"),
    ({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
      "Operations": [{"op": "add", "path": "title", "value": "x"}]}, "schemas"),
    ({"schemas": [PATCH_OP]}, "Operations is missing"),
    ({"schemas": [PATCH_OP], "Operations": []}, "non-empty list"),
    ({"schemas": [PATCH_OP], "Operations": {"op": "add"}}, "non-empty list"),
    ({"schemas": [PATCH_OP], "Operations": ["add"]}, "must be an object"),
    ({"schemas": [PATCH_OP], "Operations": [{"path": "title", "value": "x"}]}, "op must be"),
    ({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "title", "value": "x"}]},
     "op must be"),
    ({"schemas": [PATCH_OP], "Operations": [{"op": 3, "path": "title", "value": "x"}]},
     "op must be"),
])
def test_a_malformed_body_is_invalid_syntax(request_body: Any, detail: str) -> None:
    with pytest.raises(InvalidSyntax, match=detail) as caught:
        _apply(request_body)
    assert caught.value.status == 400
    assert caught.value.to_body()["scimType"] == "invalidSyntax"


def test_operations_are_bounded() -> None:
    operations = [{"op": "replace", "path": "title", "value": str(i)}
                  for i in range(MAX_OPERATIONS + 1)]
    with pytest.raises(InvalidSyntax, match=f"at most {MAX_OPERATIONS}"):
        _apply({"schemas": [PATCH_OP], "Operations": operations})
    outcome, _ = run(rfc_user(), *operations[:MAX_OPERATIONS])
    assert outcome.document["title"] == str(MAX_OPERATIONS - 1)


def test_the_patch_op_urn_compares_case_insensitively() -> None:
    request = {"schemas": [PATCH_OP.upper()],
               "Operations": [{"op": "replace", "path": "title", "value": "Boss"}]}
    outcome = apply_patch(REGISTRY, "User", rfc_user(), request, tolerances_for("generic"))
    assert outcome.document["title"] == "Boss"


def test_a_remove_without_path_is_no_target() -> None:
    """RFC 7644 §3.5.2.2: "If 'path' is unspecified, the operation fails ... noTarget"."""
    with pytest.raises(NoTarget, match="needs a path"):
        run(rfc_user(), {"op": "remove"})


@pytest.mark.parametrize("operation, error", [
    ({"op": "add", "path": "title"}, InvalidValue),
    ({"op": "replace", "path": "title"}, InvalidValue),
    ({"op": "add", "path": "title", "value": None}, InvalidValue),
    ({"op": "replace", "value": "just a string"}, InvalidValue),
    ({"op": "add", "value": ["title"]}, InvalidValue),
    ({"op": "add", "path": "name[givenName", "value": "x"}, InvalidPath),
    ({"op": "add", "path": "emails[type eq \"work\"", "value": "x"}, InvalidPath),
    ({"op": "add", "path": "emails[type eq ]", "value": {"value": "x"}}, InvalidPath),
    ({"op": "add", "path": "emails]", "value": "x"}, InvalidPath),
    ({"op": "add", "path": "", "value": "x"}, InvalidPath),
    ({"op": "add", "path": 7, "value": "x"}, InvalidPath),
    ({"op": "add", "path": "shoeSize", "value": 44}, InvalidPath),
    ({"op": "remove", "path": "name.nickname"}, InvalidPath),
    ({"op": "add", "path": "urn:example:unknown:2.0:User:shoeSize", "value": 44}, InvalidPath),
    ({"op": "add", "value": {"shoeSize": 44}}, InvalidValue),
    ({"op": "replace", "path": "active", "value": "yes"}, InvalidValue),
    ({"op": "replace", "path": "active", "value": "False"}, InvalidValue),
    ({"op": "replace", "path": "userName", "value": 42}, InvalidValue),
    ({"op": "replace", "path": "name", "value": "Barbara"}, InvalidValue),
    ({"op": "add", "path": "emails", "value": [{"value": "x", "shoe": 1}]}, InvalidValue),
    ({"op": "replace", "path": "title", "value": ["a", "b"]}, InvalidValue),
    ({"op": "replace", "path": "id", "value": "other"}, Mutability),
    ({"op": "remove", "path": "id"}, Mutability),
    ({"op": "replace", "path": "meta.lastModified", "value": "2020-01-01T00:00:00Z"},
     Mutability),
    ({"op": "add", "path": "groups", "value": [{"value": "g1"}]}, Mutability),
    ({"op": "replace", "value": {"groups": [{"value": "g1"}]}}, Mutability),
    ({"op": "replace", "value": {"id": USER_ID, "title": "x"}}, Mutability),
    ({"op": "replace", "path": f"{ENTERPRISE}:manager.displayName", "value": "Boss"},
     Mutability),
    ({"op": "remove", "path": "userName"}, Mutability),
    ({"op": "replace", "value": {"userName": None}}, Mutability),
])
def test_bad_operations_raise_the_right_scim_error(operation: dict[str, Any],
                                                   error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        run(rfc_user(), operation, resource_id=USER_ID)
    assert caught.value.status == 400  # type: ignore[attr-defined]
    assert "Operations[0]" in caught.value.detail  # type: ignore[attr-defined]


def test_the_request_is_atomic_when_the_third_operation_fails() -> None:
    document = rfc_user()
    before = copy.deepcopy(document)
    tolerances = tolerances_for("entra")
    with pytest.raises(NoTarget, match=r"Operations\[2\]"):
        run(document,
            {"op": "Replace", "path": "title", "value": "Boss"},
            {"op": "remove", "path": "emails[type eq \"home\"]"},
            {"op": "replace", "path": "ims[type ne \"aim\"].value", "value": "x"},
            tolerances=tolerances)
    assert document == before
    assert tolerances.fired == []  # a refused request used no workaround


def test_the_input_document_is_never_mutated() -> None:
    document = rfc_user()
    before = copy.deepcopy(document)
    outcome, _ = run(document, {"op": "replace", "path": "name.givenName", "value": "Babs"},
                     {"op": "add", "path": "emails", "value": [{"value": "b@x.org"}]},
                     {"op": "remove", "path": "addresses[type eq \"home\"].locality"})
    assert document == before
    assert outcome.document["name"]["givenName"] == "Babs"
    assert outcome.document["addresses"][1].get("locality") is None


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": "title", "value": "Tour Guide"},
    {"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]},
    {"op": "replace", "path": "name", "value": {"givenName": "Barbara"}},
    {"op": "remove", "path": "nickName"},
    {"op": "remove", "path": "emails[type eq \"other\"]"},
    {"op": "remove", "path": f"{ENTERPRISE}:department"},
    {"op": "replace", "value": {"active": True, "userName": "bjensen@example.com"}},
])
def test_a_request_that_changes_nothing_reports_unchanged(operation: dict[str, Any]) -> None:
    document = rfc_user()
    document.pop("nickName")
    outcome, _ = run(document, operation)
    assert outcome.changed is False
    assert outcome.document == document


def test_a_change_and_its_undo_leave_the_document_unchanged() -> None:
    outcome, _ = run(rfc_user(), {"op": "replace", "path": "title", "value": "Boss"},
                     {"op": "replace", "path": "title", "value": "Tour Guide"})
    assert outcome.changed is False


def test_a_real_change_is_reported() -> None:
    outcome, _ = run(rfc_user(), {"op": "replace", "path": "title", "value": "Boss"})
    assert outcome.changed is True
    assert outcome.password is None and outcome.member_changes is None


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": "password", "value": "n3w-Secret"},
    {"op": "add", "path": "PASSWORD", "value": "n3w-Secret"},
    {"op": "replace", "value": {"password": "n3w-Secret", "title": "Tour Guide"}},
])
def test_a_password_goes_to_the_outcome_never_the_document(operation: dict[str, Any]) -> None:
    outcome, _ = run(rfc_user(), operation)
    assert outcome.password == "n3w-Secret"
    assert "password" not in outcome.document
    assert outcome.changed is True


def test_a_password_must_be_a_string_and_removing_it_is_a_no_op() -> None:
    with pytest.raises(InvalidValue):
        run(rfc_user(), {"op": "replace", "path": "password", "value": 1234})
    outcome, _ = run(rfc_user(), {"op": "remove", "path": "password"})
    assert outcome.password is None and outcome.changed is False


def test_rfc_7644_3_5_2_1_add_without_path() -> None:
    document = rfc_user()
    document["emails"] = [e for e in document["emails"] if e["type"] == "work"]
    del document["nickName"]
    outcome = apply_patch(REGISTRY, "User", document, rfc_patch("3.5.2.1-add-without-path"),
                          tolerances_for("generic"))
    assert outcome.document["nickName"] == "Babs"
    assert outcome.document["emails"] == [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ]


def test_rfc_7644_3_5_2_2_remove_by_filter_and_certificate() -> None:
    tolerances = tolerances_for("generic")
    outcome = apply_patch(REGISTRY, "User", rfc_user(),
                          rfc_patch("3.5.2.2-remove-multi-valued-by-filter"), tolerances)
    assert outcome.document["emails"] == [{"value": "babs@jensen.org", "type": "home"}]
    outcome = apply_patch(REGISTRY, "User", rfc_user(),
                          rfc_patch("3.5.2.2-remove-certificate"), tolerances)
    assert "x509Certificates" not in outcome.document


def test_rfc_7644_3_5_2_3_replace_examples() -> None:
    tolerances = tolerances_for("generic")
    work = apply_patch(REGISTRY, "User", rfc_user(), rfc_patch("3.5.2.3-replace-work-address"),
                       tolerances).document["addresses"]
    assert work[0]["streetAddress"] == "911 Universal City Plaza" and work[0]["country"] == "US"
    assert work[1]["type"] == "home"
    street = apply_patch(REGISTRY, "User", rfc_user(),
                         rfc_patch("3.5.2.3-replace-street-address"), tolerances)
    assert street.document["addresses"][0]["streetAddress"] == "1010 Broadway Ave"
    assert street.document["addresses"][0]["locality"] == "Hollywood"
    whole = apply_patch(REGISTRY, "User", rfc_user(), rfc_patch("3.5.2.3-replace-without-path"),
                        tolerances)
    assert whole.changed is False  # the RFC's values are the ones the user already has
    assert tolerances.fired == []


def test_extension_attributes_live_under_their_urn() -> None:
    document = patched(rfc_user(), {"op": "add", "path": f"{ENTERPRISE}:department",
                                    "value": "Tour Operations"})
    assert document[ENTERPRISE] == {"department": "Tour Operations"}
