"""/Users (RFC 7644 §3): create, read, replace, patch, delete, and the account behind it."""
from __future__ import annotations

import copy
import io
import json

import pytest
from sqlalchemy import func, select

from scim_server.models import (Account, AuditEvent, DirectoryUser, DirectoryUserValue, Invitation,
                                OutboxMessage, ProductGrant)

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user_body(user_name: str = "ada@example.com", **extra):
    body = {"schemas": [CORE], "userName": user_name, "name": {"givenName": "Ada",
            "familyName": "Lovelace"}, "emails": [{"value": user_name, "type": "work",
                                                     "primary": True}], "active": True}
    body.update(extra)
    return body


@pytest.fixture
def make_user(scim):
    def _make(user_name: str = "ada@example.com", **extra):
        response = scim.post("/Users", json=user_body(user_name, **extra))
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return _make


def assert_scim_error(response, status: int, scim_type: str | None = None):
    body = response.get_json()
    assert response.status_code == status, body
    assert response.mimetype == "application/scim+json"
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    if scim_type:
        assert body.get("scimType") == scim_type, body
    assert body["detail"]
    return body


class TestCreate:
    def test_rfc_full_user_round_trips(self, scim, rfc_example):
        sent = rfc_example("rfc7643-8.2-user-full.json")
        response = scim.post("/Users", json=sent)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["id"] != sent["id"], "id is assigned by the server"
        assert response.headers["Location"] == body["meta"]["location"]
        assert response.headers["ETag"] == body["meta"]["version"]
        assert "password" not in body
        assert body["groups"] == [], "readOnly groups from the client are ignored"
        for key in ("userName", "name", "displayName", "nickName", "emails", "addresses",
                    "phoneNumbers", "ims", "photos", "userType", "title", "x509Certificates",
                    "externalId", "timezone", "locale", "preferredLanguage", "profileUrl"):
            assert body[key] == sent[key], key
        assert body["meta"]["resourceType"] == "User"
        assert body["meta"]["created"].endswith("Z") and body["meta"]["lastModified"]
        assert body["meta"]["location"].startswith("http://scim.test/scim/v2/directories/")
        fetched = scim.get(f"/Users/{body['id']}").get_json()
        assert fetched == body

    def test_enterprise_extension_round_trips(self, scim, rfc_example):
        sent = rfc_example("rfc7643-8.3-enterprise-user.json")
        body = scim.post("/Users", json=sent).get_json()
        assert body["schemas"] == [CORE, ENTERPRISE]
        assert body[ENTERPRISE]["department"] == "Tour Operations"
        assert body[ENTERPRISE]["manager"]["value"] == "26118915-6090-4610-87e4-49d8ca9f808d"

    def test_password_is_stored_hashed_never_returned(self, scim, db_session):
        body = scim.post("/Users", json=user_body(password="s3cret-Pa55")).get_json()
        stored = db_session.get(DirectoryUser, body["id"])
        assert stored.password_hash.startswith("scrypt$")
        assert "s3cret-Pa55" not in stored.password_hash
        assert "s3cret-Pa55" not in str(stored.attributes)
        assert "password" not in scim.get(f"/Users/{body['id']}?attributes=password").get_json()

    def test_synced_account_has_no_access_and_no_email(self, scim, db_session, tenant):
        body = scim.post("/Users", json=user_body()).get_json()
        account = db_session.get(Account, body["id"])
        assert account.org_id == tenant.org_id
        assert account.source == "synced" and account.status == "active"
        assert account.directory_id == tenant.directory_id
        assert account.email == "ada@example.com" and account.email_verified
        assert db_session.scalar(select(func.count()).select_from(ProductGrant)) == 0
        assert db_session.scalar(select(func.count()).select_from(Invitation)) == 0
        assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        events = db_session.scalars(select(AuditEvent).where(
            AuditEvent.target_id == body["id"])).all()
        assert [e.action for e in events] == ["scim.user.created"]
        assert events[0].actor_type == "directory_token"

    def test_user_name_is_unique_case_insensitively(self, scim, make_user):
        make_user("ada@example.com")
        response = scim.post("/Users", json=user_body("ADA@Example.com"))
        assert_scim_error(response, 409, "uniqueness")

    def test_inactive_user_creates_deactivated_account(self, scim, db_session):
        body = scim.post("/Users", json=user_body(active=False)).get_json()
        assert body["active"] is False
        assert db_session.get(Account, body["id"]).status == "deactivated"

    def test_existing_account_with_same_email_is_linked(self, scim, db_session, tenant):
        db_session.add(Account(id="11111111-1111-1111-1111-111111111111", org_id=tenant.org_id,
                               email="Ada@Example.com", email_norm="ada@example.com",
                               source="invited"))
        db_session.commit()
        body = scim.post("/Users", json=user_body()).get_json()
        assert body["id"] == "11111111-1111-1111-1111-111111111111"
        db_session.rollback()
        account = db_session.get(Account, body["id"])
        assert account.directory_id == tenant.directory_id and account.source == "invited"

    def test_account_managed_by_another_directory_is_a_conflict(self, client, make_tenant,
                                                                 make_scim_client, db_session):
        from scim_server.services import tenancy
        from scim_server.services.actors import Actor
        from scim_server.models import Directory, Organization

        first = make_tenant()
        org = db_session.get(Organization, first.org_id)
        other_dir = tenancy.create_directory(db_session, org, "Okta", "okta", Actor.cli())
        token = tenancy.issue_scim_token(db_session, other_dir, Actor.cli())
        db_session.commit()
        make_scim_client(first).post("/Users", json=user_body())
        second = copy.copy(first)
        second.directory_id, second.scim_token = other_dir.id, token.secret
        response = make_scim_client(second).post(
            "/Users", json=user_body("other-name", emails=[{"value": "ada@example.com"}]))
        body = assert_scim_error(response, 409, "uniqueness")
        assert db_session.get(Directory, first.directory_id).name in body["detail"]

    @pytest.mark.parametrize("body, scim_type", [
        ({"schemas": [CORE]}, "invalidValue"),
        ({"schemas": [CORE], "userName": ""}, "invalidValue"),
        ({"schemas": [CORE], "userName": "   "}, "invalidValue"),
        ({"schemas": [CORE], "userName": 42}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", "active": "yes"}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", "emails": "a@b.c"}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", "emails": [{"value": 1}]}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", "name": "Ada"}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", "shoeSize": 42}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", "emails": [{"value": "a@b", "colour": "red"}]},
         "invalidValue"),
        ({"userName": "x"}, "invalidValue"),
        ({"schemas": ["urn:nope"], "userName": "x"}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", ENTERPRISE: "sales"}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", ENTERPRISE: {"floor": 3}}, "invalidValue"),
        ({"schemas": [CORE], "userName": "x", "x509Certificates": [{"value": "not base64!"}]},
         "invalidValue"),
    ])
    def test_bad_bodies_are_400_and_store_nothing(self, scim, db_session, body, scim_type):
        assert_scim_error(scim.post("/Users", json=body), 400, scim_type)
        assert db_session.scalar(select(func.count()).select_from(Account)) == 0

    @pytest.mark.parametrize("raw", [b"{", b"[]", b"\"text\"", b"null", b"", b"\xff\xfe"])
    def test_malformed_json_is_invalid_syntax(self, scim, raw):
        response = scim.post("/Users", data=raw, content_type="application/scim+json")
        assert_scim_error(response, 400, "invalidSyntax")

    def test_unsupported_media_type_is_415(self, scim):
        response = scim.post("/Users", data="userName=x", content_type="text/plain")
        assert_scim_error(response, 415)

    def test_oversized_chunked_body_is_413(self, scim, app):
        limit = app.config["MAX_CONTENT_LENGTH"]
        body = json.dumps(user_body(nickName="x" * (limit + 10))).encode()
        response = scim.post("/Users", input_stream=io.BytesIO(body),
                             content_type="application/scim+json",
                             headers={"Transfer-Encoding": "chunked"},
                             environ_base={"wsgi.input_terminated": True})
        assert_scim_error(response, 413)

    def test_plain_json_media_type_is_accepted(self, scim):
        response = scim.post("/Users", json=user_body(), content_type="application/json")
        assert response.status_code == 201

    def test_oversized_body_is_413(self, scim, app):
        limit = app.config["MAX_CONTENT_LENGTH"]
        response = scim.post("/Users", json=user_body(nickName="x" * (limit + 10)))
        assert_scim_error(response, 413)


class TestRead:
    def test_unknown_id_is_404(self, scim):
        assert_scim_error(scim.get("/Users/does-not-exist"), 404)

    def test_if_none_match_gives_304(self, scim, make_user):
        user = make_user()
        response = scim.get(f"/Users/{user['id']}",
                            headers={"If-None-Match": user["meta"]["version"]})
        assert response.status_code == 304
        assert scim.get(f"/Users/{user['id']}",
                        headers={"If-None-Match": 'W/"999"'}).status_code == 200

    def test_attributes_narrow_the_response(self, scim, make_user):
        user = make_user()
        body = scim.get(f"/Users/{user['id']}?attributes=userName,name.givenName").get_json()
        assert body == {"schemas": [CORE], "id": user["id"], "userName": "ada@example.com",
                        "name": {"givenName": "Ada"}}
        body = scim.get(f"/Users/{user['id']}?excludedAttributes=emails,name,groups").get_json()
        assert "emails" not in body and "name" not in body and "groups" not in body
        assert body["userName"] == "ada@example.com" and body["id"] == user["id"]

    def test_unknown_projection_attribute_is_400(self, scim, make_user):
        user = make_user()
        assert_scim_error(scim.get(f"/Users/{user['id']}?attributes=shoeSize"), 400,
                          "invalidValue")

    def test_me_is_not_implemented(self, scim):
        assert_scim_error(scim.get("/Me"), 501)


class TestReplace:
    def test_put_replaces_and_bumps_version(self, scim, make_user):
        user = make_user()
        sent = user_body(displayName="Countess", title="Analyst")
        sent["id"], sent["meta"], sent["groups"] = user["id"], user["meta"], []
        response = scim.put(f"/Users/{user['id']}", json=sent)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["displayName"] == "Countess" and body["title"] == "Analyst"
        assert body["meta"]["version"] != user["meta"]["version"]
        assert body["meta"]["created"] == user["meta"]["created"]

    def test_put_without_changes_keeps_version(self, scim, make_user):
        user = make_user()
        body = scim.put(f"/Users/{user['id']}", json=user_body()).get_json()
        assert body["meta"]["version"] == user["meta"]["version"]

    def test_put_cannot_take_another_users_name(self, scim, make_user):
        make_user("grace@example.com")
        user = make_user()
        response = scim.put(f"/Users/{user['id']}", json=user_body("GRACE@example.com"))
        assert_scim_error(response, 409, "uniqueness")

    def test_if_match_mismatch_is_412_and_changes_nothing(self, scim, make_user):
        user = make_user()
        response = scim.put(f"/Users/{user['id']}", json=user_body(title="x"),
                            headers={"If-Match": 'W/"41"'})
        assert_scim_error(response, 412)
        assert "title" not in scim.get(f"/Users/{user['id']}").get_json()
        ok = scim.put(f"/Users/{user['id']}", json=user_body(title="x"),
                      headers={"If-Match": user["meta"]["version"]})
        assert ok.status_code == 200

    def test_put_on_unknown_user_is_404(self, scim):
        assert_scim_error(scim.put("/Users/nope", json=user_body()), 404)


class TestPatch:
    def patch(self, scim, user_id, *operations, headers=None):
        return scim.patch(f"/Users/{user_id}", json={"schemas": [PATCH_OP],
                                                    "Operations": list(operations)},
                          headers=headers)

    def test_deactivate_and_reactivate_keep_the_account(self, scim, make_user, db_session):
        user = make_user()
        response = self.patch(scim, user["id"], {"op": "replace", "path": "active",
                                                 "value": False})
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["active"] is False
        assert db_session.get(Account, user["id"]).status == "deactivated"
        self.patch(scim, user["id"], {"op": "replace", "value": {"active": True}})
        db_session.rollback()
        assert db_session.get(Account, user["id"]).status == "active"

    def test_value_filtered_path_updates_one_element(self, scim, make_user, db_session):
        user = make_user(emails=[{"value": "ada@example.com", "type": "work", "primary": True},
                                 {"value": "ada@home.example", "type": "home"}])
        response = self.patch(scim, user["id"], {"op": "replace",
                                                 "path": 'emails[type eq "home"].value',
                                                 "value": "countess@home.example"})
        emails = response.get_json()["emails"]
        assert {e["value"] for e in emails} == {"ada@example.com", "countess@home.example"}
        stored = db_session.scalars(select(DirectoryUserValue.value_norm).where(
            DirectoryUserValue.user_id == user["id"])).all()
        assert "countess@home.example" in stored and "ada@home.example" not in stored

    def test_patch_honours_attributes_parameter(self, scim, make_user):
        user = make_user()
        response = scim.patch(f"/Users/{user['id']}?attributes=title",
                              json={"schemas": [PATCH_OP], "Operations": [
                                  {"op": "add", "path": "title", "value": "Analyst"}]})
        assert response.get_json() == {"schemas": [CORE], "id": user["id"], "title": "Analyst"}

    def test_failed_operation_changes_nothing(self, scim, make_user):
        user = make_user()
        response = self.patch(scim, user["id"],
                              {"op": "replace", "path": "title", "value": "Analyst"},
                              {"op": "replace", "path": "shoeSize", "value": 42})
        assert response.status_code == 400
        after = scim.get(f"/Users/{user['id']}").get_json()
        assert "title" not in after and after["meta"]["version"] == user["meta"]["version"]

    def test_patch_user_name_to_taken_name_is_409(self, scim, make_user):
        make_user("grace@example.com")
        user = make_user()
        response = self.patch(scim, user["id"], {"op": "replace", "path": "userName",
                                                 "value": "Grace@example.com"})
        assert_scim_error(response, 409, "uniqueness")

    def test_if_match_on_patch(self, scim, make_user):
        user = make_user()
        response = self.patch(scim, user["id"], {"op": "add", "path": "title", "value": "x"},
                              headers={"If-Match": 'W/"7"'})
        assert_scim_error(response, 412)

    def test_patch_body_must_be_a_patch_op(self, scim, make_user):
        user = make_user()
        response = scim.patch(f"/Users/{user['id']}", json={"Operations": []})
        assert response.status_code == 400


class TestDelete:
    def test_delete_unlinks_and_deactivates_the_account(self, scim, make_user, db_session):
        user = make_user()
        assert scim.delete(f"/Users/{user['id']}").status_code == 204
        assert_scim_error(scim.get(f"/Users/{user['id']}"), 404)
        assert_scim_error(scim.delete(f"/Users/{user['id']}"), 404)
        account = db_session.get(Account, user["id"])
        assert account is not None, "the account is kept"
        assert account.status == "deactivated" and account.directory_id is None
        assert db_session.scalar(select(func.count()).select_from(DirectoryUserValue)) == 0

    def test_user_name_is_free_again_after_delete(self, scim, make_user):
        user = make_user()
        scim.delete(f"/Users/{user['id']}")
        response = scim.post("/Users", json=user_body())
        assert response.status_code == 201
        assert response.get_json()["id"] == user["id"], "the same account is linked again"

    def test_if_match_on_delete(self, scim, make_user):
        user = make_user()
        assert_scim_error(scim.delete(f"/Users/{user['id']}", headers={"If-Match": 'W/"9"'}),
                          412)
        assert scim.get(f"/Users/{user['id']}").status_code == 200
