"""The client's arithmetic and checks: percentiles and what counts as a failed request."""
from __future__ import annotations

import json

from bench.client import _check, percentile, summarize


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_summarize_reports_milliseconds_and_throughput() -> None:
    summary = summarize([0.001, 0.002, 0.003, 0.004], wall=2.0, errors=1, samples=["x"],
                        nbytes=400)
    assert summary["p50_ms"] == 2.0
    assert summary["max_ms"] == 4.0
    assert summary["throughput"] == 2.0
    assert summary["errors"] == 1 and summary["bytes_per_response"] == 100


def test_unexpected_status_and_wrong_total_are_failures() -> None:
    request = {"method": "GET", "path": "/Users?filter=x", "expect_total": 1}
    assert _check(request, 200, json.dumps({"totalResults": 1}).encode()) is None
    assert "totalResults 0" in (_check(request, 200, b'{"totalResults": 0}') or "")
    assert "-> 500" in (_check({"method": "GET", "path": "/x"}, 500, b"boom") or "")
    assert _check({"method": "POST", "path": "/Users", "expect": [201]}, 201, b"{}") is None


def test_bulk_counts_only_created_operations() -> None:
    request = {"method": "POST", "path": "/Bulk", "expect_created": 2}
    both = {"Operations": [{"status": "201"}, {"status": "201"}]}
    one = {"Operations": [{"status": "201"}, {"status": "409", "response": {"detail": "taken"}}]}
    assert _check(request, 200, json.dumps(both).encode()) is None
    assert "created 1 of 2" in (_check(request, 200, json.dumps(one).encode()) or "")
