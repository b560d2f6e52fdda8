"""Directories page: SCIM URL, tokens (shown once, rotate, revoke), tolerances and
provisioning health (issue 16), each action the API's own with the admin as actor."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Callable

from flask import Flask
from sqlalchemy import select

from conftest import ScimClient, Tenant
from scim_server import db
from scim_server.models import AuditEvent, ScimToken
from tests.console.conftest import Console

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SECRET = re.compile(r'id="secret" class="secret" type="text" readonly value="([^"]+)"')


def page(tenant: Tenant) -> str:
    return f"directories/{tenant.directory_id}"


def tokens_of(app: Flask, directory_id: str) -> list[ScimToken]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        rows = list(session.scalars(select(ScimToken).where(
            ScimToken.directory_id == directory_id).order_by(ScimToken.created_at)))
        session.close()
    return rows


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        session.close()
    return rows


def admin_id(app: Flask) -> str:
    return events(app, "console.signed_in")[0].actor_id


def test_the_list_and_the_page_show_the_scim_base_url_and_profile(
        signed_in: Console, tenant: Tenant) -> None:
    listing = signed_in.get("directories")
    assert listing.status_code == 200
    url = f"http://scim.test/scim/v2/directories/{tenant.directory_id}"
    html = listing.get_data(as_text=True)
    assert url in html and ">Directories<" in html.split('<nav class="nav"', 1)[1]
    detail = signed_in.get(page(tenant)).get_data(as_text=True)
    assert f'id="scim-url" class="scim-url" type="text" readonly value="{url}"' in detail
    assert "Healthy" in detail and "Tolerance log" in detail


def test_a_new_token_is_shown_once_and_works_for_scim(
        app: Flask, signed_in: Console, tenant: Tenant, client) -> None:
    response = signed_in.post_form(page(tenant), page(tenant) + "/tokens",
                                   {"name": "Okta", "expires_in_days": "30"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert "Location" not in response.headers
    html = response.get_data(as_text=True)
    secret = SECRET.search(html).group(1)
    assert html.count(secret) == 1
    assert secret not in response.headers.get("Set-Cookie", "")
    # The SCIM API takes it, with the same directory.
    scim = client.get(f"/scim/v2/directories/{tenant.directory_id}/Users",
                      headers={"Authorization": f"Bearer {secret}"})
    assert scim.status_code == 200
    # Never again: not on the page, not in the cookie the browser keeps.
    again = signed_in.get(page(tenant))
    assert secret not in again.get_data(as_text=True)
    assert all(secret not in c.value for c in client._cookies.values())
    new = [t for t in tokens_of(app, tenant.directory_id) if t.name == "Okta"]
    assert len(new) == 1 and new[0].expires_at is not None
    assert new[0].hint in again.get_data(as_text=True)
    created = events(app, "scim_token.created")[-1]
    assert (created.actor_type, created.actor_id) == ("account", admin_id(app))


def test_rotate_keeps_the_old_token_for_the_overlap_and_revoke_ends_it(
        app: Flask, signed_in: Console, tenant: Tenant, client) -> None:
    old = tokens_of(app, tenant.directory_id)[0]
    response = signed_in.post_form(page(tenant), f"{page(tenant)}/tokens/{old.id}/rotate",
                                   {"overlap_hours": "2"})
    assert response.status_code == 201
    secret = SECRET.search(response.get_data(as_text=True)).group(1)
    both = tokens_of(app, tenant.directory_id)
    assert len(both) == 2
    old_after = next(t for t in both if t.id == old.id)
    assert old_after.expires_at is not None and old_after.revoked_at is None
    for bearer in (secret, tenant.scim_token):  # both work during the overlap
        assert client.get(f"{tenant.scim_base}/Users",
                          headers={"Authorization": f"Bearer {bearer}"}).status_code == 200
    rotated = events(app, "scim_token.rotated")
    assert len(rotated) == 1 and rotated[0].actor_id == admin_id(app)
    revoked = signed_in.post_form(page(tenant), f"{page(tenant)}/tokens/{old.id}/revoke")
    assert revoked.status_code == 302
    assert "revoked" in signed_in.get(page(tenant)).get_data(as_text=True).lower()
    assert client.get(f"{tenant.scim_base}/Users", headers=tenant.scim_headers
                      ).status_code == 401
    assert client.get(f"{tenant.scim_base}/Users",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert events(app, "scim_token.revoked")[-1].actor_id == admin_id(app)


def test_junk_input_gets_a_page_not_a_500(app: Flask, signed_in: Console,
                                          tenant: Tenant) -> None:
    old = tokens_of(app, tenant.directory_id)[0]
    bad = signed_in.post_form(page(tenant), page(tenant) + "/tokens",
                              {"name": "x" * 500, "expires_in_days": "soon"})
    assert bad.status_code == 422
    assert "Enter a number of days" in bad.get_data(as_text=True)
    assert len(tokens_of(app, tenant.directory_id)) == 1
    rotate = signed_in.post_form(page(tenant), f"{page(tenant)}/tokens/{old.id}/rotate",
                                 {"overlap_hours": "-5"})
    assert rotate.status_code == 302
    assert "from 0 to 2160" in signed_in.get(page(tenant)).get_data(as_text=True)
    for query in ("?status=abc", "?status=200", "?scimType=" + "x" * 99, "?after=zzz",
                  "?after=" + "9" * 40, "?user=" + "y" * 900):
        response = signed_in.get(page(tenant) + query)
        assert response.status_code == 200, query
    assert signed_in.get("directories/nope").status_code == 404
    missing = signed_in.post_form(page(tenant), f"{page(tenant)}/tokens/nope/revoke")
    assert missing.status_code == 404


def test_another_organizations_directory_and_token_are_not_found(
        app: Flask, signed_in: Console, tenant: Tenant,
        make_tenant: Callable[..., Tenant]) -> None:
    other = make_tenant("Globex")
    theirs = tokens_of(app, other.directory_id)[0]
    assert signed_in.get(page(other)).status_code == 404
    for action in ("tokens", f"tokens/{theirs.id}/rotate", f"tokens/{theirs.id}/revoke"):
        response = signed_in.post_form(page(tenant), f"{page(other)}/{action}",
                                       {"name": "x", "overlap_hours": "1"})
        assert response.status_code == 404, action
    # Their token under our directory's URL: not found either.
    for action in (f"tokens/{theirs.id}/rotate", f"tokens/{theirs.id}/revoke"):
        response = signed_in.post_form(page(tenant), f"{page(tenant)}/{action}",
                                       {"overlap_hours": "1"})
        assert response.status_code == 404, action
    assert tokens_of(app, other.directory_id)[0].revoked_at is None
    assert len(tokens_of(app, other.directory_id)) == 1


def test_a_user_access_admin_is_refused(app: Flask, client, tenant: Tenant,
                                        make_admin: Callable[..., str]) -> None:
    make_admin(tenant, email="helpdesk@acme.test", role="user_access_admin")
    helpdesk = Console(client, app).sign_in("helpdesk@acme.test", tenant.org_id)
    for path in ("directories", page(tenant), "audit-log", "outbox"):
        assert helpdesk.get(path).status_code == 403, path
    refused = helpdesk.post_form("users", page(tenant) + "/tokens", {"name": "x"})
    assert refused.status_code == 403
    assert len(tokens_of(app, tenant.directory_id)) == 1


def test_the_health_section_shows_a_refused_push_with_its_request_id(
        signed_in: Console, scim: ScimClient, tenant: Tenant) -> None:
    refused = scim.post("/Groups", json={"schemas": [GROUP]},
                        headers={"X-Request-Id": "req-console-1"})
    assert refused.status_code == 400
    html = signed_in.get(page(tenant)).get_data(as_text=True)
    assert "Failing since" in html and "Healthy" not in html
    row = html.split('data-request-id="req-console-1"', 1)[1].split("</tr>", 1)[0]
    assert "POST /Groups" in row and "400" in row and "invalidValue" in row
    # Filters: another status hides it; its own shows it.
    assert "req-console-1" not in signed_in.get(page(tenant) + "?status=409").get_data(
        as_text=True)
    assert "req-console-1" in signed_in.get(page(tenant) + "?status=400&scimType=invalidvalue"
                                            ).get_data(as_text=True)
    # A good push heals it.
    assert scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Ops"}
                     ).status_code == 201
    healed = signed_in.get(page(tenant)).get_data(as_text=True)
    assert "Healthy" in healed and "Failing since" not in healed


def test_failures_are_paged_newest_first(signed_in: Console, scim: ScimClient,
                                         tenant: Tenant) -> None:
    for n in range(27):
        scim.post("/Groups", json={"schemas": [GROUP]}, headers={"X-Request-Id": f"r-{n:02d}"})
    first = signed_in.get(page(tenant)).get_data(as_text=True)
    ids = re.findall(r'data-request-id="(r-\d\d)"', first)
    assert ids == [f"r-{n:02d}" for n in range(26, 1, -1)]
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = signed_in.get(next_url.split("#")[0]).get_data(as_text=True)
    assert re.findall(r'data-request-id="(r-\d\d)"', second) == ["r-01", "r-00"]


def test_a_person_lookup_shows_every_recent_request_about_them(
        signed_in: Console, scim: ScimClient, tenant: Tenant) -> None:
    made = scim.post("/Users", json={"schemas": [USER], "userName": "ada@acme.test"},
                     headers={"X-Request-Id": "req-create"})
    assert made.status_code == 201
    clash = scim.post("/Users", json={"schemas": [USER], "userName": "ada@acme.test"},
                      headers={"X-Request-Id": "req-clash"})
    assert clash.status_code == 409
    html = signed_in.get(page(tenant) + "?user=ADA@acme.test").get_data(as_text=True)
    person = html.split('id="person"', 1)[1]
    found = re.findall(r'data-request-id="([^"]+)"', person)
    assert found == ["req-clash", "req-create"]
    assert "uniqueness" in person and "Changed: scim.user.created" in person, person
    nobody = signed_in.get(page(tenant) + "?user=nobody@acme.test").get_data(as_text=True)
    assert "No recent requests about this person" in nobody


def test_console_and_api_revoke_and_create_change_the_same_things(
        app: Flask, signed_in: Console, tenant: Tenant, admin) -> None:
    tokens = f"/directories/{tenant.directory_id}/tokens"
    by_api = admin.post(tokens, json={"name": "api", "expires_in_days": 7}).get_json()
    console = signed_in.post_form(page(tenant), page(tenant) + "/tokens",
                                  {"name": "console", "expires_in_days": "7"})
    assert console.status_code == 201
    made = {t.name: t for t in tokens_of(app, tenant.directory_id)}
    for name in ("api", "console"):
        token = made[name]
        assert abs((token.expires_at - token.created_at) - timedelta(days=7)) < timedelta(seconds=5), name
        assert token.revoked_at is None and token.hint.startswith("scimsrv_"), name
    created = {e.target_id: e for e in events(app, "scim_token.created")}
    assert set(created[made["api"].id].changes) == set(created[made["console"].id].changes)
    assert admin.call("DELETE", f"{tokens}/{made['api'].id}").status_code == 204
    assert signed_in.post_form(page(tenant), f"{page(tenant)}/tokens/{made['console'].id}/revoke"
                               ).status_code == 302
    after = {t.name: t for t in tokens_of(app, tenant.directory_id)}
    assert after["api"].revoked_at and after["console"].revoked_at
    revoked = {e.target_id: e for e in events(app, "scim_token.revoked")}
    api_event, console_event = revoked[made["api"].id], revoked[made["console"].id]
    assert api_event.changes == console_event.changes
    assert (api_event.actor_type, console_event.actor_type) == ("admin_key", "account")
