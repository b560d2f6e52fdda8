"""Runs of user creations in a Bulk request (scim/bulk_creates.py).

The rule under test: a Bulk request answers exactly as its operations would one at a
time, in order (RFC 7644 §3.7), however many of them are written together. Each test
builds a request with the kinds of operations a first sync mixes in (a duplicate, an
email that links an existing account, a body the schema refuses, a bulkId another
operation waits for) and compares with the same operations sent one by one as plain
POSTs to a second directory, or with what RFC 7644 says the outcome is.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from scim_server import db
from scim_server.models import Account, AuditEvent, DirectoryUser, DirectoryUserValue

from .test_bulk import BULK_REQUEST, GROUP, USER, bulk, error_of, post_user

OPS_PER_RUN = 40


def _user(n: int, **extra: Any) -> dict[str, Any]:
    return post_user(f"u{n}", f"user{n}@example.com", externalId=f"ext-{n}",
                     emails=[{"value": f"user{n}@example.com", "type": "work",
                              "primary": True}], **extra)


def _comparable(resource: dict[str, Any]) -> dict[str, Any]:
    """What a user resource says, apart from its identity and its groups (only the Bulk
    request also made a group)."""
    return {k: v for k, v in resource.items() if k not in ("id", "meta", "groups")}


def test_a_run_of_new_users_is_created_with_every_row_and_event(scim, db_session, tenant):
    results = bulk(scim, *[_user(n) for n in range(OPS_PER_RUN)])

    assert [r["status"] for r in results] == ["201"] * OPS_PER_RUN
    assert [r["bulkId"] for r in results] == [f"u{n}" for n in range(OPS_PER_RUN)]
    ids = [r["location"].rsplit("/", 1)[1] for r in results]
    assert len(set(ids)) == OPS_PER_RUN
    assert {r["version"] for r in results} == {'W/"1"'}
    for n in (0, OPS_PER_RUN - 1):
        resource = scim.get(f"/Users/{ids[n]}").get_json()
        assert resource["userName"] == f"user{n}@example.com"
        assert resource["externalId"] == f"ext-{n}"
        assert resource["emails"][0]["value"] == f"user{n}@example.com"
        assert resource.get("groups", []) == []
        assert resource["meta"]["location"] == results[n]["location"]
    # The value rows serve filters, the account belongs to the organization.
    found = scim.get("/Users", query_string={
        "filter": f'emails[value eq "user{OPS_PER_RUN - 1}@example.com"]'}).get_json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == ids[-1]
    db_session.rollback()
    account = db_session.get(Account, ids[0])
    assert account.org_id == tenant.org_id and account.directory_id == tenant.directory_id
    assert account.source == "synced" and account.status == "active"
    assert account.email_norm == "user0@example.com" and account.email_verified is True
    assert db_session.scalar(select(func.count()).select_from(DirectoryUserValue)) == OPS_PER_RUN
    created = db_session.scalars(select(AuditEvent.target_id)
                                 .where(AuditEvent.action == "scim.user.created")).all()
    assert sorted(created) == sorted(ids)


def test_the_run_costs_the_same_statements_for_ten_users_or_forty(app, scim):
    seen: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine()
    scim.get("/Users", query_string={"count": 0})  # the token is verified and cached
    event.listen(engine, "before_cursor_execute", capture)
    try:
        bulk(scim, *[_user(n) for n in range(10)])
        ten = len(seen)
        seen.clear()
        bulk(scim, *[_user(n) for n in range(100, 100 + OPS_PER_RUN)])
        forty = len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert forty == ten, (ten, forty)
    assert forty <= 14, seen


def test_mixed_request_answers_as_one_post_at_a_time(scim, make_tenant, make_scim_client,
                                                     db_session, tenant):
    """Duplicates (in the request and in the directory), an email that links an
    invited account, a refused body and a group waiting for a bulkId, between runs."""
    one_by_one = make_scim_client(make_tenant("Other"))
    for client in (scim, one_by_one):
        assert client.post("/Users", json={"schemas": [USER],
                                           "userName": "taken@example.com"}).status_code == 201
    for org_id in (tenant.org_id, one_by_one.tenant.org_id):
        db_session.add(Account(org_id=org_id, email="Invited@Example.com",
                               email_norm="invited@example.com", source="invited"))
    db_session.commit()
    operations = [
        _user(1), _user(2),
        post_user("dup", "USER1@example.com"),                     # same userName as u1
        _user(3),
        post_user("taken", "Taken@example.com"),                   # taken in the directory
        _user(4),
        post_user("inv", "invited", emails=[{"value": "invited@example.com"}]),  # links
        _user(5),
        post_user("bad", 42),                                      # the schema refuses it
        _user(6),
        {"method": "POST", "path": "/Groups", "bulkId": "g",
         "data": {"schemas": [GROUP], "displayName": "Team",
                  "members": [{"value": "bulkId:u7"}]}},
        _user(7), _user(8),
        post_user("dup-email", "other", emails=[{"value": "user8@example.com"}]),
    ]
    results = bulk(scim, *operations)
    singles = [one_by_one.post(op["path"], json=op["data"]) for op in operations
               if op["path"] == "/Users"]

    statuses = [r["status"] for r in results if r["bulkId"] != "g"]
    assert statuses == [str(s.status_code) for s in singles]
    assert statuses == ["201", "201", "409", "201", "409", "201", "201", "201", "400", "201",
                        "201", "201", "409"]
    error_of(results[2], 409, "uniqueness")
    error_of(results[4], 409, "uniqueness")
    error_of(results[8], 400, "invalidValue")
    linked = results[6]["location"].rsplit("/", 1)[1]
    db_session.rollback()
    invited = db_session.scalar(select(Account).where(Account.org_id == tenant.org_id,
                                                      Account.email_norm == "invited@example.com"))
    assert linked == invited.id and invited.source == "invited"
    group = next(r for r in results if r["bulkId"] == "g")
    assert group["status"] == "201"
    u7 = next(r for r in results if r["bulkId"] == "u7")["location"].rsplit("/", 1)[1]
    members = scim.get(group["location"].split(tenant.scim_base)[1]).get_json()["members"]
    assert [m["value"] for m in members] == [u7]
    # Every resource the Bulk made reads as the one-at-a-time POST made it.
    for result, single in zip([r for r in results if r["bulkId"] != "g"], singles):
        if result["status"] == "201":
            mine = scim.get(result["location"].split(tenant.scim_base)[1]).get_json()
            assert _comparable(mine) == _comparable(single.get_json())


def test_fail_on_errors_counts_the_operations_in_request_order(scim, db_session):
    operations = [_user(1), _user(2), post_user("bad", 42), _user(3), _user(4)]
    results = bulk(scim, *operations, failOnErrors=1)
    assert [r["bulkId"] for r in results] == ["u1", "u2", "bad"]
    assert [r["status"] for r in results] == ["201", "201", "400"]
    assert db_session.scalar(select(func.count()).select_from(DirectoryUser)) == 2


def test_workarounds_are_counted_once_per_created_user(make_tenant, make_scim_client, client):
    tenant = make_tenant("Entra", idp="entra")
    scim = make_scim_client(tenant)
    operations = [_user(n, active="True") for n in range(5)]
    operations.insert(2, post_user("dup", "user0@example.com", active="False"))
    results = bulk(scim, *operations)
    assert [r["status"] for r in results] == ["201", "201", "409", "201", "201", "201"]
    counters = client.get(f"{tenant.admin_base}/directories/{tenant.directory_id}/tolerances",
                          headers=tenant.admin_headers).get_json()["data"]
    fired = {c["name"]: c["count"] for c in counters}
    assert fired == {"string_booleans": 5}, "once per created user; a refused one counts none"


def test_a_bulk_request_body_is_checked_before_any_run(scim, db_session):
    response = scim.post("/Bulk", json={"schemas": [BULK_REQUEST], "Operations": [
        _user(1), {"method": "POST", "path": "/Users/abc", "data": {}}, _user(2)]})
    results = response.get_json()["Operations"]
    assert [r["status"] for r in results] == ["201", "400", "201"]
    assert db_session.scalar(select(func.count()).select_from(DirectoryUser)) == 2
