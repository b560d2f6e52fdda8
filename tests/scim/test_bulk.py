"""POST /Bulk (RFC 7644 §3.7): references, ordering, savepoints, limits, and bad input."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from scim_server.models import AuditEvent, DirectoryUser, Group, GroupMember, OutboxMessage
from scim_server.scim.bulk_refs import (BulkOperation, parse_operation, parse_target,
                                        references_in, substitute)
from scim_server.scim.errors import InvalidSyntax, InvalidValue

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def bulk(scim, *operations, **extra):
    response = scim.post("/Bulk", json={"schemas": [BULK_REQUEST],
                                        "Operations": list(operations), **extra})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["schemas"] == [BULK_RESPONSE]
    return body["Operations"]


def post_user(bulk_id, name, **extra):
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id,
            "data": {"schemas": [USER], "userName": name, **extra}}


def bad_user(bulk_id):
    """A POST the schema refuses: userName must be a string."""
    return post_user(bulk_id, 42)


def post_group(bulk_id, name, members=()):
    return {"method": "POST", "path": "/Groups", "bulkId": bulk_id,
            "data": {"schemas": [GROUP], "displayName": name,
                     "members": [{"value": m} for m in members]}}


def count(db_session, model):
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(model))


def error_of(result, status, scim_type=None):
    assert result["status"] == str(status), result
    response = result["response"]
    assert response["schemas"] == [ERROR] and response["status"] == str(status)
    assert response["detail"]
    if scim_type:
        assert response.get("scimType") == scim_type, response
    return response


class TestReferencesUnit:
    def test_references_are_whole_string_values_anywhere_in_the_data(self):
        data = {"members": [{"value": "bulkId:u1"}, {"value": "plain"}],
                "x": {"y": ["bulkId:u2"]}, "note": "see bulkId:u3 later"}
        assert references_in(data) == {"u1", "u2"}
        assert substitute(data, {"u1": "id-1"})["members"][0] == {"value": "id-1"}
        assert substitute(data, {"u1": "id-1"})["x"] == {"y": ["bulkId:u2"]}

    def test_paths(self):
        assert parse_target("POST", "/Users") == ("Users", None)
        assert parse_target("PATCH", "Groups/abc") == ("Groups", "abc")
        assert parse_target("PUT", "/Users/bulkId:u1", {"u1": "id-1"}) == ("Users", "id-1")
        for method, path in (("POST", "/Users/x"), ("DELETE", "/Users"), ("GET", "/Nope"),
                             ("PATCH", "/Users/x/y"), ("PUT", "/Schemas/x")):
            with pytest.raises(InvalidValue):
                parse_target(method, path)

    def test_an_operation_in_a_path_references_its_bulk_id(self):
        operation = parse_operation(0, {"method": "patch", "path": "/Users/bulkId:u1",
                                        "data": {"schemas": [PATCH_OP], "Operations": []}})
        assert isinstance(operation, BulkOperation) and operation.error is None
        assert operation.method == "PATCH" and operation.references == {"u1"}

    @pytest.mark.parametrize("item, error", [
        ("not an object", InvalidSyntax),
        ({"method": "GET", "path": "/Users"}, InvalidSyntax),
        ({"method": "POST", "path": "/Users", "data": {}}, InvalidValue),
        ({"method": "POST", "path": "/Users", "bulkId": "", "data": {}}, InvalidValue),
        ({"method": "POST", "path": "/Users", "bulkId": 7, "data": {}}, InvalidValue),
        ({"method": "POST", "bulkId": "a", "data": {}}, InvalidSyntax),
        ({"method": "POST", "path": "/Users", "bulkId": "a"}, InvalidSyntax),
        ({"method": "PUT", "path": "/Users/x", "data": []}, InvalidSyntax),
        ({"method": "DELETE", "path": "/Users/x", "version": 3}, InvalidValue),
        ({"method": "DELETE", "path": "/Users"}, InvalidValue),
    ])
    def test_malformed_operations_fail_alone(self, item, error):
        assert isinstance(parse_operation(3, item).error, error)


def test_service_provider_config_advertises_the_limits(scim, app):
    cfg = app.config["SCIM"]
    spc = scim.get("/ServiceProviderConfig").get_json()["bulk"]
    assert spc == {"supported": True, "maxOperations": cfg.bulk_max_operations,
                   "maxPayloadSize": cfg.bulk_max_payload_bytes}


def test_user_and_group_with_a_bulk_id_member(scim, db_session):
    """RFC 7644 §3.7.2: a new user, and a new group that has it as a member."""
    results = bulk(scim, post_user("qwerty", "alice"),
                   post_group("ytrewq", "Tour Guides", ["bulkId:qwerty"]))
    user, group = results
    assert user["status"] == "201" and user["bulkId"] == "qwerty" and user["method"] == "POST"
    assert user["version"] == 'W/"1"' and "response" not in user
    user_id = user["location"].rsplit("/", 1)[1]
    assert user["location"] == f"http://scim.test{scim.tenant.scim_base}/Users/{user_id}"
    fetched = scim.get(group["location"].split(scim.tenant.scim_base)[1]).get_json()
    assert [m["value"] for m in fetched["members"]] == [user_id]
    db_session.rollback()
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("scim.%"))).all()
    assert sorted(actions) == ["scim.group.created", "scim.user.created"]
    assert count(db_session, OutboxMessage) == 0, "SCIM never sends email, Bulk neither"


def test_forward_references_wait_for_their_post(scim, db_session):
    results = bulk(scim, post_group("g", "Later", ["bulkId:u1", "bulkId:u2"]),
                   {"method": "PATCH", "path": "/Users/bulkId:u1",
                    "data": {"schemas": [PATCH_OP],
                             "Operations": [{"op": "replace", "path": "title",
                                             "value": "Guide"}]}},
                   post_user("u1", "ann"), post_user("u2", "ben"))
    statuses = {r.get("bulkId", r["method"]): r["status"] for r in results}
    assert statuses == {"g": "201", "PATCH": "200", "u1": "201", "u2": "201"}
    order = [r.get("bulkId", "patch") for r in results]
    assert order.index("u1") < order.index("g") and order.index("u2") < order.index("g")
    assert order.index("u1") < order.index("patch")
    patched = next(r for r in results if r["method"] == "PATCH")
    assert patched["version"] == 'W/"2"'
    assert scim.get(patched["location"].split(scim.tenant.scim_base)[1]).get_json()["title"] \
        == "Guide"
    assert count(db_session, GroupMember) == 2


def test_delete_and_put_through_bulk_ids(scim, db_session):
    results = bulk(scim, post_user("u", "cat"),
                   {"method": "PUT", "path": "/Users/bulkId:u", "version": 'W/"1"',
                    "data": {"schemas": [USER], "userName": "cat", "title": "Boss"}},
                   post_group("g", "Temp"),
                   {"method": "DELETE", "path": "/Groups/bulkId:g"})
    assert [r["status"] for r in results] == ["201", "200", "201", "204"]
    assert results[1]["version"] == 'W/"2"' and results[3]["location"] == results[2]["location"]
    assert count(db_session, Group) == 0 and count(db_session, DirectoryUser) == 1


def test_unknown_bulk_id_fails_that_operation_only(scim, db_session):
    results = bulk(scim, post_group("g", "Team", ["bulkId:nobody"]), post_user("u", "dan"))
    error_of(results[0], 400, "invalidValue")
    assert "bulkId:nobody" in results[0]["response"]["detail"]
    assert "location" not in results[0]
    assert results[1]["status"] == "201"
    assert count(db_session, Group) == 0 and count(db_session, DirectoryUser) == 1


def test_a_reference_to_a_failed_post_is_a_conflict(scim, db_session):
    results = bulk(scim, bad_user("u"), post_group("g", "Team", ["bulkId:u"]))
    error_of(results[0], 400, "invalidValue")
    assert "Operations[0]" in error_of(results[1], 409)["detail"]
    assert count(db_session, Group) == 0 and count(db_session, DirectoryUser) == 0


def test_circular_references_fail_with_409_and_store_nothing(scim, db_session):
    """RFC 7644 §3.7.1: two groups that contain each other; and one that contains itself."""
    results = bulk(scim, post_group("a", "A", ["bulkId:b"]), post_group("b", "B", ["bulkId:a"]),
                   post_group("c", "C", ["bulkId:c"]), post_user("u", "eve"))
    assert results[0]["bulkId"] == "u" and results[0]["status"] == "201"
    assert {r["bulkId"] for r in results[1:]} == {"a", "b", "c"}
    for result in results[1:]:
        assert "circle" in error_of(result, 409)["detail"]
    assert count(db_session, Group) == 0


def test_unknown_member_fails_its_operation_and_leaves_nothing(scim, db_session):
    good = bulk(scim, post_user("u", "fay"))[0]
    user_id = good["location"].rsplit("/", 1)[1]
    results = bulk(scim, post_group("g", "Mixed", [user_id, "no-such-id"]),
                   post_group("h", "Fine", [user_id]))
    error_of(results[0], 400, "invalidValue")
    assert results[1]["status"] == "201"
    assert count(db_session, Group) == 1 and count(db_session, GroupMember) == 1


def test_uniqueness_within_one_request(scim, db_session):
    results = bulk(scim, post_user("a", "gus"), post_user("b", "GUS"))
    assert results[0]["status"] == "201"
    error_of(results[1], 409, "uniqueness")
    assert count(db_session, DirectoryUser) == 1


def test_fail_on_errors_stops_processing(scim, db_session):
    operations = [bad_user("a"), post_user("b", "hal"), bad_user("c"), post_user("d", "ian")]
    results = bulk(scim, *operations, failOnErrors=1)
    assert len(results) == 1 and results[0]["bulkId"] == "a"
    assert count(db_session, DirectoryUser) == 0
    results = bulk(scim, *operations, failOnErrors=2)
    assert [r["bulkId"] for r in results] == ["a", "b", "c"]
    assert count(db_session, DirectoryUser) == 1
    results = bulk(scim, bad_user("e"), post_user("f", "jo"), bad_user("g"))
    assert [r["status"] for r in results] == ["400", "201", "400"], "no budget: all run"


def test_version_is_checked_like_if_match(scim):
    created = bulk(scim, post_user("u", "kay"))[0]
    path = created["location"].split(scim.tenant.scim_base)[1]
    patch = {"schemas": [PATCH_OP],
             "Operations": [{"op": "replace", "path": "title", "value": "X"}]}
    results = bulk(scim, {"method": "PATCH", "path": path, "version": 'W/"9"', "data": patch},
                   {"method": "DELETE", "path": path, "version": 'W/"7"'})
    error_of(results[0], 412)
    error_of(results[1], 412)
    assert results[0]["location"].endswith(path)
    assert scim.get(path).get_json().get("title") is None


def test_malformed_member_filters_fail_their_operation(scim, db_session):
    created = bulk(scim, post_user("u", "pam"), post_group("g", "G", ["bulkId:u"]))
    group_path = created[1]["location"].split(scim.tenant.scim_base)[1]

    def removal(path):
        return {"method": "PATCH", "path": group_path,
                "data": {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": path}]}}

    results = bulk(scim, removal("members[value eq"), removal('members[display co "x"]'))
    for result in results:
        assert result["status"] == "400" and result["location"].endswith(group_path)
    assert count(db_session, GroupMember) == 1


def test_another_tenants_resources_are_not_found(scim, make_tenant, make_scim_client):
    other = make_scim_client(make_tenant("Other"))
    victim = bulk(other, post_user("v", "victim"))[0]["location"].rsplit("/", 1)[1]
    results = bulk(scim, {"method": "DELETE", "path": f"/Users/{victim}"},
                   post_group("g", "Steal", [victim]))
    error_of(results[0], 404)
    error_of(results[1], 400, "invalidValue")
    assert other.get(f"/Users/{victim}").status_code == 200


def test_malformed_operations_are_reported_per_operation(scim, db_session):
    results = bulk(scim, "nope", {"method": "GET", "path": "/Users"},
                   {"method": "POST", "path": "/Users",
                    "data": {"schemas": [USER], "userName": "x"}},
                   {"method": "POST", "path": "/Nope", "bulkId": "n", "data": {}},
                   {"method": "PATCH", "path": "/Users/x", "data": {"Operations": "no"}},
                   post_user("ok", "lee"))
    assert "method" not in results[0]
    error_of(results[0], 400, "invalidSyntax")
    error_of(results[1], 400, "invalidSyntax")
    error_of(results[2], 400, "invalidValue")
    error_of(results[3], 400, "invalidValue")
    error_of(results[4], 404)
    assert results[5]["status"] == "201"
    assert count(db_session, DirectoryUser) == 1


@pytest.mark.parametrize("body, scim_type", [
    ({"Operations": []}, "invalidSyntax"),
    ({"schemas": ["urn:nope"], "Operations": []}, "invalidSyntax"),
    ({"schemas": [BULK_REQUEST]}, "invalidSyntax"),
    ({"schemas": [BULK_REQUEST], "Operations": {"method": "POST"}}, "invalidSyntax"),
    ({"schemas": [BULK_REQUEST], "Operations": [], "failOnErrors": 0}, "invalidSyntax"),
    ({"schemas": [BULK_REQUEST], "Operations": [], "failOnErrors": "1"}, "invalidSyntax"),
    ({"schemas": [BULK_REQUEST], "Operations": [], "failOnErrors": True}, "invalidSyntax"),
    ({"schemas": [BULK_REQUEST], "Operations": [post_user("a", "x"), post_user("a", "y")]},
     "invalidValue"),
])
def test_malformed_requests_are_400_and_store_nothing(scim, db_session, body, scim_type):
    response = scim.post("/Bulk", json=body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["scimType"] == scim_type
    assert count(db_session, DirectoryUser) == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_unparsable_bodies_are_invalid_syntax(scim, raw):
    response = scim.post("/Bulk", data=raw, content_type="application/scim+json")
    assert response.status_code == 400 and response.get_json()["scimType"] == "invalidSyntax"


def test_plain_json_is_accepted_and_other_media_types_are_not(scim):
    body = json.dumps({"schemas": [BULK_REQUEST], "Operations": [post_user("u", "max")]})
    assert scim.post("/Bulk", data=body, content_type="application/json").status_code == 200
    assert scim.post("/Bulk", data=body, content_type="text/plain").status_code == 415


def test_too_many_operations_is_413_and_stores_nothing(scim, app, db_session, monkeypatch):
    monkeypatch.setattr(app.config["SCIM"], "bulk_max_operations", 3)
    assert scim.get("/ServiceProviderConfig").get_json()["bulk"]["maxOperations"] == 3
    response = scim.post("/Bulk", json={"schemas": [BULK_REQUEST], "Operations": [
        post_user(str(n), f"user{n}") for n in range(4)]})
    assert response.status_code == 413
    body = response.get_json()
    assert body["schemas"] == [ERROR] and body["status"] == "413" and "maxOperations" in \
        body["detail"]
    assert count(db_session, DirectoryUser) == 0
    assert len(bulk(scim, *[post_user(str(n), f"user{n}") for n in range(3)])) == 3


def test_oversize_payload_is_413_before_the_json_is_read(scim, app, db_session, monkeypatch):
    monkeypatch.setattr(app.config["SCIM"], "bulk_max_payload_bytes", 2000)
    assert scim.get("/ServiceProviderConfig").get_json()["bulk"]["maxPayloadSize"] == 2000
    big = {"schemas": [BULK_REQUEST],
           "Operations": [post_user(str(n), f"someone-{n}") for n in range(30)]}
    response = scim.post("/Bulk", json=big)
    assert response.status_code == 413 and "maxPayloadSize" in response.get_json()["detail"]
    garbage = scim.post("/Bulk", data=b"{" * 3000, content_type="application/scim+json")
    assert garbage.status_code == 413, "the size is checked before parsing"
    assert count(db_session, DirectoryUser) == 0


def test_workarounds_in_bulk_patches_follow_the_profile(make_tenant, make_scim_client, client):
    for idp, expected in (("entra", "200"), ("generic", "400")):
        tenant = make_tenant(idp.title(), idp=idp)
        scim = make_scim_client(tenant)
        created = bulk(scim, post_user("u", "nia"), post_group("g", "G", ["bulkId:u"]))
        user_id = created[0]["location"].rsplit("/", 1)[1]
        removal = {"schemas": [PATCH_OP], "Operations": [
            {"op": "Remove", "path": "members", "value": [{"value": user_id}]}]}
        results = bulk(scim, {"method": "PATCH", "path": "/Groups/bulkId:g", "data": removal})
        assert results[0]["status"] == "400" and "bulkId:g" in results[0]["response"]["detail"]
        group_path = created[1]["location"].split(tenant.scim_base)[1]
        results = bulk(scim, {"method": "PATCH", "path": group_path, "data": removal})
        assert results[0]["status"] == expected, results
        counters = client.get(f"{tenant.admin_base}/directories/{tenant.directory_id}/tolerances",
                              headers=tenant.admin_headers).get_json()["data"]
        fired = {c["name"]: c["count"] for c in counters}
        if idp == "entra":
            assert fired == {"op_case": 1, "remove_value_selects": 1}
            assert scim.get(group_path).get_json()["members"] == []
        else:
            assert fired == {}, "a refused operation counts no workaround"


def test_lower_case_operations_key_is_accepted_and_counted(scim, client, tenant):
    response = scim.post("/Bulk", json={"schemas": [BULK_REQUEST],
                                        "operations": [post_user("u", "ola")]})
    assert response.status_code == 200 and response.get_json()["Operations"][0]["status"] == "201"
    counters = client.get(f"{tenant.admin_base}/directories/{tenant.directory_id}/tolerances",
                          headers=tenant.admin_headers).get_json()["data"]
    assert {c["name"]: c["count"] for c in counters} == {"operations_key": 1}


def test_only_post_is_served(scim):
    response = scim.get("/Bulk")
    assert response.status_code == 405
    assert response.get_json()["schemas"] == [ERROR]
