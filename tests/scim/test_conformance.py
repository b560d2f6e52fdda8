"""scim2-tester, python-scim's conformance checker, run against the application."""
from __future__ import annotations

import pytest
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server


@pytest.fixture
def checker_client(app, tenant):
    return WSGISCIMClient(app, base_url=f"http://scim.test{tenant.scim_base}",
                          headers={"Authorization": f"Bearer {tenant.scim_token}"})


def test_scim2_tester_reports_no_failure(checker_client):
    results = check_server(checker_client, raise_exceptions=False)
    failures = [f"{r.title}: {r.reason}" for r in results
                if r.status in (Status.ERROR, Status.CRITICAL)]
    assert results, "the checker ran no check"
    assert not failures, "\n".join(failures)
    checked = {r.resource_type for r in results if getattr(r, "resource_type", None)}
    assert {"User", "Group"} <= checked
