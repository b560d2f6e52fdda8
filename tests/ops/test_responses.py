"""Error shapes of the operations layer: SCIM errors on /scim/, problem documents elsewhere."""
from __future__ import annotations

from scim_server.ops.responses import error_for_path, is_admin_path, is_scim_path


def test_paths_are_told_apart():
    assert is_scim_path("/scim/v2/directories/x/Users") and not is_scim_path("/admin/v1/orgs")
    assert is_admin_path("/admin/v1/orgs/x/users") and not is_admin_path("/scimx")


def test_a_scim_path_gets_a_scim_error(app):
    with app.test_request_context("/scim/v2/directories/x/Users"):
        answer = error_for_path(429, "slow down", {"Retry-After": "3"}, slug="rate-limited")
    assert answer.status_code == 429 and answer.mimetype == "application/scim+json"
    assert answer.get_json() == {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                                 "status": "429", "detail": "slow down"}
    assert answer.headers["Retry-After"] == "3"


def test_other_paths_get_a_problem_document(app):
    with app.test_request_context("/admin/v1/orgs/x/users"):
        named = error_for_path(415, "send JSON", slug="unsupported-media-type")
    with app.test_request_context("/metrics"):
        plain = error_for_path(403, "loopback only")
    assert named.mimetype == plain.mimetype == "application/problem+json"
    assert named.get_json()["type"].endswith("/unsupported-media-type")
    assert plain.get_json() == {"type": "about:blank", "title": "Forbidden", "status": 403,
                                "detail": "loopback only"}
