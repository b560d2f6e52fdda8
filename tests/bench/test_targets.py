"""Target verdicts: met, missed by how much, or not measured, from the results alone."""
from __future__ import annotations

from typing import Any

from bench.targets import evaluate


def _result(group: str, kind: str, p50: float, throughput: float = 100.0,
            **labels: Any) -> dict[str, Any]:
    return {"group": group, "kind": kind, "p50_ms": p50, "throughput": throughput,
            "requests": 10, **labels}


def _run(results: list[dict[str, Any]], peak: float = 120.0) -> dict[str, Any]:
    return {"target": "scim-server", "backend": "sqlite", "results": results,
            "memory": {"max_worker_peak_mb": peak}}


def test_lookup_growth_within_budget_is_met_and_beyond_it_is_missed_by_the_ratio() -> None:
    results = [_result("lookup", "userName eq", 2.0, scale=1_000),
               _result("lookup", "userName eq", 2.8, scale=1_000_000),
               _result("lookup", "externalId eq", 2.0, scale=1_000),
               _result("lookup", "externalId eq", 6.0, scale=1_000_000)]
    verdicts = {v["target"]: v for v in evaluate(_run(results), None, None)}

    assert verdicts["lookup `userName eq`: p50 at the largest vs 1k directory"]["status"] == "met"
    missed = verdicts["lookup `externalId eq`: p50 at the largest vs 1k directory"]
    assert missed["status"] == "missed" and missed["margin"].startswith("missed by 2.00×")
    assert verdicts["lookup `emails[value eq]`: p50 at the largest vs 1k directory"][
        "status"] == "not measured"


def test_reference_comparisons_use_the_reference_largest_group_and_threads() -> None:
    ours = [_result("members", "add 1", 2.0, size=1_000),
            _result("members", "add 1", 2.5, size=100_000),
            _result("create", "POST /Users", 10.0, throughput=300.0, threads=4)]
    theirs = {"results": [_result("members", "add 1", 400.0, size=100_000),
                          _result("create", "POST /Users", 10.0, throughput=100.0, threads=4)]}
    hello = {"results": [_result("ceiling", "GET /hello", 1.0, throughput=1000.0)]}
    verdicts = {v["target"]: v for v in evaluate(_run(ours, peak=250.0), theirs, hello)}

    faster = verdicts["group `add 1`: ≥100× faster than scim2-server on its largest group"]
    assert faster["status"] == "met" and faster["value"] == 160.0
    assert verdicts["POST /Users throughput vs scim2-server (worst thread count)"]["value"] == 3.0
    assert verdicts["peak resident memory of any worker"]["status"] == "missed"
    assert verdicts["cursor paging: a page near the end vs the first page"]["status"] == \
        "not available"


def test_cursor_target_compares_the_deep_page_with_the_first_at_the_largest_scale() -> None:
    results = [_result("page", "cursor, first page", 10.0, scale=1_000_000),
               _result("page", "cursor, near the end", 12.0, scale=1_000_000, position=999_000),
               _result("page", "cursor, near the end", 50.0, scale=1_000)]
    verdict = next(v for v in evaluate(_run(results), None, None)
                   if v["target"].startswith("cursor paging"))

    assert verdict["status"] == "met" and verdict["value"] == 1.2
    assert "position 999,000" in verdict["measured"]


def test_cursor_target_is_not_measured_when_deep_pages_stop_below_the_largest_scale() -> None:
    results = [_result("lookup", "userName eq", 2.0, scale=1_000_000),
               _result("page", "cursor, first page", 10.0, scale=1_000),
               _result("page", "cursor, near the end", 11.0, scale=1_000, position=900)]
    verdict = next(v for v in evaluate(_run(results), None, None)
                   if v["target"].startswith("cursor paging"))

    assert verdict["status"] == "not measured" and "1,000 users" in verdict["measured"]
