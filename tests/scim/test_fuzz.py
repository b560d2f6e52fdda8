"""Property tests: whatever a client sends, the SCIM API answers 4xx or 2xx, never 5xx.

A random search whose size the Hypothesis profile sets (`SCIM_HYPOTHESIS_PROFILE`: `ci`
by default, `local` for a long run; see hypothesis_profiles.py), run in-process on
both backends. Filters are generated from the RFC 7644 §3.4.2.2 grammar as well as from
raw characters, so the search reaches the SQL translator and not only the parser.
"""
from __future__ import annotations

import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .hypothesis_profiles import timeout_seconds

pytestmark = pytest.mark.timeout(timeout_seconds())

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ATTRIBUTE_NAMES = ["userName", "name", "name.givenName", "emails", "emails.value", "active",
                   "displayName", "title", "members", "externalId", "id", "meta",
                   'emails[type eq "work"].value', "urn:ietf:params:scim:schemas:extension:"
                   "enterprise:2.0:User:manager", "groups", "password", "x[", "a.b.c", ""]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.sampled_from([2**63, -(2**63) - 1, 10**30, 1e308])
    | st.text(max_size=20) | st.sampled_from(ATTRIBUTE_NAMES),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES) | st.text(max_size=8), children,
                      max_size=4),
    max_leaves=12)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Add", "bogus", 3])},
    optional={"path": st.sampled_from(ATTRIBUTE_NAMES) | st.text(max_size=15),
              "value": json_values})
FILTER_PATHS = ATTRIBUTE_NAMES[:-3] + [
    "emails.type", "emails.primary", "phoneNumbers", "addresses.locality", "name.familyName",
    "meta.created", "meta.lastModified", "meta.version", "members.value", "groups.value",
    "groups.display", "schemas", "x509Certificates.value", "ims", "roles.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"]
FILTER_VALUES = st.sampled_from([
    '"x"', '"ÈVE"', '"ß"', '"İ"', '"%_\\\\"', '""', "true", "false", "null", "12", "-1",
    "1.5e3", "9223372036854775807", "1e999", '"2020-01-01T00:00:00Z"', '"W/\\"1\\""', "x",
    '"a']) | st.text(max_size=6).map(json.dumps)
comparisons = st.builds(
    lambda attr, op, value: f"{attr} pr" if op == "pr" else f"{attr} {op} {value}",
    st.sampled_from(FILTER_PATHS),
    st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "zz"]),
    FILTER_VALUES)
value_paths = st.builds(
    lambda attr, inner: f"{attr}[{inner}]",
    st.sampled_from(["emails", "phoneNumbers", "members", "groups", "name", "addresses"]),
    st.builds(lambda sub, op, value: f"{sub} {op} {value}",
              st.sampled_from(["value", "type", "primary", "display", "givenName"]),
              st.sampled_from(["eq", "co", "sw", "pr", "gt"]), FILTER_VALUES))
grammar_filters = st.recursive(
    comparisons | value_paths,
    lambda inner: st.builds(lambda a, op, b: f"{a} {op} {b}", inner,
                            st.sampled_from(["and", "or", "AND", "Or"]), inner)
    | inner.map(lambda f: f"not ({f})") | inner.map(lambda f: f"({f})"),
    max_leaves=8)
filters = grammar_filters | st.text(
    alphabet=string.ascii_letters + string.digits + ' "[]().:=!<>-_@%\\', max_size=40)
paging = st.one_of(st.none(), st.integers(), st.sampled_from([2**63 - 1, -(2**63), 10**30]),
                   st.text(max_size=4), st.sampled_from(["1", "-1", "0", "99999999999999999999"]))


def _user(scim) -> str:
    response = scim.post("/Users", json={"schemas": [CORE], "userName": "fuzz-target"})
    if response.status_code == 201:
        return response.get_json()["id"]
    return scim.get('/Users?filter=userName eq "fuzz-target"').get_json()["Resources"][0]["id"]


@given(body=json_values)
def test_any_user_body(scim, body):
    for method, path in (("POST", "/Users"), ("PUT", f"/Users/{_user(scim)}"),
                         ("POST", "/Groups"), ("POST", "/Bulk")):
        response = scim._call(method, path, json=body if body is not None else {})
        assert response.status_code < 500, (method, path, body, response.get_data())


@given(ops=st.lists(operations, max_size=4), schemas=st.sampled_from([[PATCH_OP], [], None]))
def test_any_patch(scim, ops, schemas):
    body = {"Operations": ops} if schemas is None else {"schemas": schemas, "Operations": ops}
    response = scim.patch(f"/Users/{_user(scim)}", json=body)
    assert response.status_code < 500, (body, response.get_data())


@given(text=filters, sort_by=st.sampled_from(ATTRIBUTE_NAMES),
       count=st.sampled_from(["1", "-1", "x", "", "100000", "9223372036854775808"]),
       start=st.sampled_from(["1", "0", "-5", "9223372036854775807", "1" + "0" * 30]))
def test_any_query(scim, text, sort_by, count, start):
    for path in ("/Users", "/Groups"):
        response = scim.get(path, query_string={"filter": text, "sortBy": sort_by,
                                                "count": count, "startIndex": start,
                                                "attributes": sort_by})
        assert response.status_code < 500, (path, text, response.get_data())


@given(text=filters, start=paging, count=paging, cursor=st.sampled_from([None, "", "x", 5]))
def test_any_search(scim, text, start, count, cursor):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": text, "startIndex": start, "count": count}
    for path in ("/.search", "/Users/.search", "/Groups/.search"):
        sent = body if path == "/.search" or cursor is None else {**body, "cursor": cursor}
        response = scim.post(path, json=sent)
        assert response.status_code < 500, (path, sent, response.get_data())


@given(raw=st.binary(max_size=64))
def test_any_raw_bytes(scim, raw):
    response = scim.post("/Users", data=raw, content_type="application/scim+json")
    assert response.status_code < 500
    assert json.loads(response.get_data())["schemas"]
