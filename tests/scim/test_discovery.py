"""Discovery endpoints (RFC 7644 §4) served from the documents in schemas/."""
from __future__ import annotations

import json
from pathlib import Path

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


def test_service_provider_config_tells_what_is_supported(scim):
    response = scim.get("/ServiceProviderConfig")
    assert response.status_code == 200
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert body["patch"]["supported"] is True
    assert body["filter"] == {"supported": True, "maxResults": 1000}
    assert body["etag"]["supported"] is True
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert body["meta"]["location"].endswith("/ServiceProviderConfig")


def test_schemas_are_the_documents_on_disk(scim):
    body = scim.get("/Schemas").get_json()
    served = {s["id"]: s for s in body["Resources"]}
    on_disk = {json.loads(p.read_text())["id"] for p in SCHEMAS_DIR.glob("*.json")}
    assert set(served) == on_disk
    assert body["totalResults"] == len(on_disk)
    user = served["urn:ietf:params:scim:schemas:core:2.0:User"]
    user_name = next(a for a in user["attributes"] if a["name"] == "userName")
    assert user_name["uniqueness"] == "server" and user_name["required"] is True


def test_one_schema_by_urn(scim):
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    response = scim.get(f"/Schemas/{urn}")
    assert response.status_code == 200
    assert response.get_json()["id"] == urn
    assert response.get_json()["meta"]["location"].endswith(f"/Schemas/{urn}")


def test_unknown_schema_is_a_scim_404(scim):
    response = scim.get("/Schemas/urn:nope")
    assert response.status_code == 404
    assert response.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.get_json()["status"] == "404"


def test_resource_types_name_their_schemas(scim):
    body = scim.get("/ResourceTypes").get_json()
    by_name = {r["name"]: r for r in body["Resources"]}
    assert by_name["User"]["endpoint"] == "/Users"
    assert by_name["User"]["schemaExtensions"][0]["schema"].endswith("enterprise:2.0:User")
    assert scim.get("/ResourceTypes/Group").get_json()["endpoint"] == "/Groups"
    assert scim.get("/ResourceTypes/Nope").status_code == 404


def test_filters_on_discovery_endpoints_are_refused(scim):
    response = scim.get('/Schemas?filter=id eq "x"')
    assert response.status_code == 403
