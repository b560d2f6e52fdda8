"""Property tests: whatever a client sends, the SCIM API answers 4xx or 2xx, never 5xx.

Bounded in count (a few hundred requests per backend) and run in-process.
"""
from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ATTRIBUTE_NAMES = ["userName", "name", "name.givenName", "emails", "emails.value", "active",
                   "displayName", "title", "members", "externalId", "id", "meta",
                   'emails[type eq "work"].value', "urn:ietf:params:scim:schemas:extension:"
                   "enterprise:2.0:User:manager", "groups", "password", "x[", "a.b.c", ""]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.sampled_from(ATTRIBUTE_NAMES),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES) | st.text(max_size=8), children,
                      max_size=4),
    max_leaves=12)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Add", "bogus", 3])},
    optional={"path": st.sampled_from(ATTRIBUTE_NAMES) | st.text(max_size=15),
              "value": json_values})
filters = st.text(alphabet=string.ascii_letters + string.digits + ' "[]().:=!<>-_@%\\',
                  max_size=40) | st.builds(
    lambda attr, op, value: f"{attr} {op} {value}",
    st.sampled_from(ATTRIBUTE_NAMES), st.sampled_from(["eq", "ne", "co", "sw", "gt", "pr", "zz"]),
    st.sampled_from(['"x"', "true", "null", "12", '"2020-01-01T00:00:00Z"', "x", '"a']))

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _user(scim) -> str:
    response = scim.post("/Users", json={"schemas": [CORE], "userName": "fuzz-target"})
    if response.status_code == 201:
        return response.get_json()["id"]
    return scim.get('/Users?filter=userName eq "fuzz-target"').get_json()["Resources"][0]["id"]


@FUZZ
@given(body=json_values)
def test_any_user_body(scim, body):
    for method, path in (("POST", "/Users"), ("PUT", f"/Users/{_user(scim)}"),
                         ("POST", "/Groups"), ("POST", "/Bulk")):
        response = scim._call(method, path, json=body if body is not None else {})
        assert response.status_code < 500, (method, path, body, response.get_data())


@FUZZ
@given(ops=st.lists(operations, max_size=4), schemas=st.sampled_from([[PATCH_OP], [], None]))
def test_any_patch(scim, ops, schemas):
    body = {"Operations": ops} if schemas is None else {"schemas": schemas, "Operations": ops}
    response = scim.patch(f"/Users/{_user(scim)}", json=body)
    assert response.status_code < 500, (body, response.get_data())


@FUZZ
@given(text=filters, sort_by=st.sampled_from(ATTRIBUTE_NAMES),
       count=st.sampled_from(["1", "-1", "x", "", "100000"]))
def test_any_query(scim, text, sort_by, count):
    for path in ("/Users", "/Groups"):
        response = scim.get(path, query_string={"filter": text, "sortBy": sort_by,
                                                "count": count, "attributes": sort_by})
        assert response.status_code < 500, (path, text, response.get_data())
    response = scim.post("/.search", json={"schemas": [
        "urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": text})
    assert response.status_code < 500, (text, response.get_data())


@FUZZ
@given(raw=st.binary(max_size=64))
def test_any_raw_bytes(scim, raw):
    response = scim.post("/Users", data=raw, content_type="application/scim+json")
    assert response.status_code < 500
    assert json.loads(response.get_data())["schemas"]
