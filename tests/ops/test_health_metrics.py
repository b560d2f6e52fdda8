"""`/metrics` carries the per-directory outcome counters of provisioning health, and no
label that names a user; unauthenticated requests count against no directory."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "mia@acme.test"}
METRIC = "scim_server_directory_scim_requests_total"


def directory_samples(text: str, directory_id: str) -> dict[tuple[str, str, str], float]:
    return {(s.labels["resource"], s.labels["operation"], s.labels["outcome"]): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name == METRIC and s.labels.get("directory") == directory_id}


def test_outcomes_are_counted_per_directory(scim, tenant, client, make_tenant,
                                            make_scim_client):
    other = make_tenant("Other")
    assert scim.post("/Users", json=USER).status_code == 201
    assert scim.post("/Users", json=USER).status_code == 409
    assert scim.get("/Users").status_code == 200
    assert make_scim_client(other).get("/Groups").status_code == 200
    client.get(f"{tenant.scim_base}/Users", headers={"Authorization": "Bearer wrong"})
    text = client.get("/metrics").get_data(as_text=True)
    assert directory_samples(text, tenant.directory_id) == {
        ("Users", "create", "success"): 1, ("Users", "create", "409"): 1,
        ("Users", "list", "success"): 1}
    assert directory_samples(text, other.directory_id) == {("Groups", "list", "success"): 1}
    assert "mia@acme.test" not in text
    labels = {name for family in text_string_to_metric_families(text)
              for s in family.samples if s.name == METRIC for name in s.labels}
    assert labels == {"directory", "resource", "operation", "outcome"}
