"""Fuzz the admin API from its own OpenAPI document with schemathesis, on both backends.

Every operation of `/admin/v1/openapi.json` gets generated requests, valid and invalid
(schemathesis' positive and negative modes), with a working org-admin key and the
tenant's organization id. No response may be a 5xx, and every response must conform to
the document: a declared status code, a declared content type, a body that matches the
declared schema. Failures are collected for the whole run and reported together.

`SCIM_FUZZ_EXAMPLES` sets the examples per operation and mode: the default (4) keeps the
CI profile to about a minute a backend on two cores; try 50 locally.
"""
from __future__ import annotations

import os
from collections import Counter
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import Tenant
from tests.admin.conftest import AdminClient

EXAMPLES = int(os.environ.get("SCIM_FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _seed(admin: AdminClient) -> None:
    """Something for lists and lookups to find."""
    site = admin.get("/sites").get_json()["data"][0]["id"]
    admin.post("/products", json={"site_id": site, "key": "jira", "name": "Jira",
                                  "seat_limit": 3})
    admin.post("/groups", json={"name": "Fuzzers"})
    admin.post("/invitations", json={"emails": ["fuzz@example.test"]})


def test_the_admin_api_survives_its_own_openapi_document(
        app: Flask, tenant: Tenant, admin: AdminClient, backend: str) -> None:
    _seed(admin)
    schema = schemathesis.openapi.from_wsgi("/admin/v1/openapi.json", app)
    sent: Counter[int] = Counter()
    failures: dict[str, str] = {}
    unsatisfiable: list[str] = []

    def exercise(operation: Any, mode: GenerationMode) -> None:
        strategy = operation.as_strategy(
            generation_mode=mode, path_parameters={"org_id": tenant.org_id},
            headers={"Authorization": f"Bearer {tenant.admin_key}"})

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @given(case=strategy)
        def run(case: Any) -> None:
            case.path_parameters["org_id"] = tenant.org_id  # stay inside the tenant
            response = case.call()
            sent[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as failure:  # noqa: BLE001 - schemathesis raises a FailureGroup
                key = f"{operation.label} [{mode.value}] -> {response.status_code}"
                failures.setdefault(key, str(failure)[:800])

        try:
            run()
        except Unsatisfiable:  # nothing to negate: every input of the operation is fixed
            unsatisfiable.append(f"{operation.label} [{mode.value}]")

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            exercise(operation, mode)
    total = sum(sent.values())
    server_errors = sum(n for status, n in sent.items() if status >= 500)
    print(f"\nschemathesis [{backend}]: {total} requests, {server_errors} 5xx, "
          f"statuses {dict(sorted(sent.items()))}; nothing to negate in {len(unsatisfiable)}")
    assert total >= 68 * 2, "every operation was exercised"
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in sorted(failures.items()))
