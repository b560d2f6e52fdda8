"""A tiny run of the whole benchmark harness, so CI proves the benchmark still works.

A few dozen users and groups of a few dozen members: seconds, not minutes. The whole run
(SQLite, the Flask hello ceiling, scim2-server, django-scim2, the report) and the PostgreSQL leg each
drive a real `scim-server serve` through the separate client process.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bench import report, run, servers, suite_scim
from bench.profiles import PROFILES

BACKENDS = [b.strip() for b in os.environ.get("SCIM_TEST_BACKENDS", "sqlite,postgresql").split(",")
            if b.strip()]
TINY = PROFILES["tiny"]


def _require_postgres() -> None:
    try:
        engine = create_engine(servers.POSTGRES_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {type(exc).__name__}")


def _assert_every_scenario_ran(record: dict[str, Any]) -> None:
    results = record["results"]
    failing = [(r["name"], r["error_samples"]) for r in results if r["errors"]]
    assert failing == []
    groups = {r["group"] for r in results}
    assert {"create", "lookup", "read", "update", "page", "walk", "members",
            "group-read"} <= groups
    lookups = [r for r in results if r["group"] == "lookup"]
    assert set(TINY.user_scales) <= {r["scale"] for r in lookups}
    assert all(r["requests"] == TINY.requests for r in lookups)
    members = {(r["kind"], r["size"]) for r in results if r["group"] == "members"}
    assert ("add 1", max(TINY.group_sizes)) in members
    assert ("remove 1", max(TINY.group_sizes)) in members
    full_get = [r for r in results if r["kind"] == "GET with members"
                and r["size"] == max(TINY.group_sizes)]
    member_bytes = len('{"value": "", "$ref": "", "type": "User"}') + 36
    assert full_get and full_get[0]["bytes_per_response"] > max(TINY.group_sizes) * member_bytes
    walks = [r for r in results if r["group"] == "walk" and r["mode"] == "index"]
    assert all(r["complete"] and r["resources_seen"] == r["scale"] for r in walks)
    caps = record["capabilities"]
    cursor_walks = [r for r in results if r["group"] == "walk" and r["mode"] == "cursor"]
    assert len(cursor_walks) == (len(TINY.user_scales) if caps["cursor"] else 0)
    assert all(r["complete"] and r["resources_seen"] == r["scale"] for r in cursor_walks)
    assert bool([r for r in results if r["group"] == "bulk"]) == caps["bulk"]
    assert record["memory"]["max_worker_peak_mb"] > 0


def test_postgresql_leg_runs_every_scenario_without_errors(tmp_path: Path) -> None:
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL is not among SCIM_TEST_BACKENDS")
    _require_postgres()
    record = suite_scim.run("postgresql", TINY, workers=1, out_dir=tmp_path,
                            echo=lambda _l: None)

    _assert_every_scenario_ran(record)


def test_whole_run_on_sqlite_writes_a_report_with_every_target(tmp_path: Path) -> None:
    if "sqlite" not in BACKENDS:
        pytest.skip("SQLite is not among SCIM_TEST_BACKENDS")
    docs = tmp_path / "docs" / "benchmarks.md"
    code = run.main(["--profile", "tiny", "--backend", "sqlite", "--workers", "1",
                     "--out", str(tmp_path / "out"), "--docs", str(docs)])

    assert code == 0
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [r["target"] for r in data["runs"]] == ["scim-server", "flask-hello", "scim2-server",
                                                    "django-scim2"]
    _assert_every_scenario_ran(data["runs"][0])
    assert any(r["kind"].endswith("(after ANALYZE)") for r in data["runs"][0]["results"])
    reference = data["runs"][2]
    assert [r["name"] for r in reference["results"] if r["errors"]] == []
    assert {r["group"] for r in reference["results"]} >= {"create", "lookup", "members"}
    peer = data["runs"][3]
    assert [(r["name"], r["error_samples"]) for r in peer["results"] if r["errors"]] == []
    assert {r["kind"] for r in peer["results"]} >= {"POST /Users", "PUT", "GET /Users/{id}",
                                                    "userName eq", "add 1", "remove 1"}
    statuses = {t["target"]: t["status"] for t in data["targets"]}
    assert len(statuses) == 11 + 7
    assert statuses["PUT /Users/{id} p50 vs django-scim2"] in {"met", "missed"}
    assert set(statuses.values()) <= {"met", "missed", "not measured", "not available"}
    assert statuses["POST /Users throughput vs scim2-server (worst thread count)"] != \
        "not measured"
    page = docs.read_text()
    assert "## Targets" in page and "## Machine" in page and "scim2-server" in page

    # The analysis is written after the run: the page is rendered again from report.json.
    analysis = tmp_path / "analysis.md"
    analysis.write_text("### Written after the run\n\nThe figures above, explained.\n")
    again = tmp_path / "again" / "benchmarks.md"
    assert report.main([str(tmp_path / "out" / "report.json"), "--docs", str(again),
                        "--analysis", str(analysis)]) == 0
    rendered = again.read_text()
    assert "### Written after the run" in rendered
    targets = page[page.index("## Targets"):page.index("## What the numbers say")]
    assert targets in rendered, "the tables are the run's, unchanged"
