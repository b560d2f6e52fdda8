"""Issue 16's proof on the console page: an Entra ID replay with refusals, then the
Directories page shows exactly those refusals with the request ids we answered with, the
"Failing since" state, and a healthy state once a push succeeds."""
from __future__ import annotations

import re
import uuid
from typing import Callable

from flask import Flask

from tests.console.conftest import Console
from tests.integration.replay import expect, patch_body
from tests.integration.test_health_replay import Refusals, user_body


def test_an_entra_replay_shows_its_refusals_on_the_directory_page(
        app: Flask, client, make_tenant, make_scim_client, make_admin: Callable[..., str]
        ) -> None:
    tenant = make_tenant("Contoso", idp="entra")
    entra, refused = make_scim_client(tenant), Refusals()
    expect(entra.get("/Users", query_string={"filter": 'userName eq "ann@contoso.test"'}), 200)
    ann = expect(entra.post("/Users", json=user_body("ann@contoso.test")), 201)
    expect(entra.patch(f"/Users/{ann['id']}", json=patch_body(
        {"op": "Replace", "path": "active", "value": "False"})), 200)  # a tolerance fires
    refused.note(entra.post("/Users", json=user_body("", externalId="e-2")),
                 "POST", "/Users", 400, "invalidValue")
    refused.note(entra.patch(f"/Users/{uuid.uuid4()}", json=patch_body(
        {"op": "Replace", "path": "displayName", "value": "X"})), "PATCH", "/Users/{id}", 404)
    refused.note(entra.post("/Users", json=user_body("ann@contoso.test")),
                 "POST", "/Users", 409, "uniqueness")

    make_admin(tenant, email="admin@contoso.test")
    console = Console(client, app).sign_in("admin@contoso.test", tenant.org_id)
    html = console.get(f"directories/{tenant.directory_id}").get_data(as_text=True)
    assert "Failing since" in html
    section = html.split('id="failure-list"', 1)[1].split("</table>", 1)[0]
    shown = {}
    for request_id, row in re.findall(r'<tr data-request-id="([^"]+)">(.*?)</tr>', section,
                                      re.S):
        cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td>(.*?)</td>",
                                                                         row, re.S)]
        method, path = cells[1][0], cells[1][1]
        shown[request_id] = (method, path, int(cells[2][0]), (cells[3] or [None])[0])
    assert shown == refused.expected
    assert re.search(r'<dd class="requests">6</dd>', html)  # 3 accepted, 3 refused
    assert re.search(r'<dd class="refused">3</dd>', html)
    assert "50.0%" in html
    tolerances = html.split('id="tolerance-list"', 1)[1].split("</table>", 1)[0]
    assert "string_booleans" in tolerances and "op_case" in tolerances
    # The person lookup finds the refused duplicate and the changes made about Ann.
    lookup = console.get(f"directories/{tenant.directory_id}?user=ann@contoso.test"
                         ).get_data(as_text=True).split('id="person"', 1)[1]
    duplicate = next(r for r, v in refused.expected.items() if v[2] == 409)
    assert duplicate in lookup and "Changed: scim.user.created" in lookup
    expect(entra.patch(f"/Users/{ann['id']}", json=patch_body(
        {"op": "Replace", "path": "active", "value": "True"})), 200)
    healed = console.get(f"directories/{tenant.directory_id}").get_data(as_text=True)
    assert "Healthy" in healed and "Failing since" not in healed
