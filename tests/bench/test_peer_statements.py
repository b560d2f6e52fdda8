"""`python -m bench.peer_statements` measures django-scim2 per request, in its own process
(Django's settings are process-wide), on the backends the suite runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_it_reports_each_operation_with_the_statements_it_sent(backend: str) -> None:
    wanted = [b.strip() for b in os.environ.get("SCIM_TEST_BACKENDS",
                                                "sqlite,postgresql").split(",")]
    if backend not in wanted:
        pytest.skip(f"{backend} is not among SCIM_TEST_BACKENDS")
    done = subprocess.run([sys.executable, "-m", "bench.peer_statements", "--backend", backend,
                           "--repeat", "3", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(done.stdout)
    assert [r["operation"] for r in rows] == ["POST /Users", "PUT /Users/{id}",
                                              "GET /Users/{id}"]
    for row in rows:
        assert row["statements"] >= 1 and row["python_calls"] > 100, row
        assert sum(row["kinds"].values()) == pytest.approx(row["statements"], abs=1), row
    assert any(kind.startswith("INSERT") for kind in rows[0]["kinds"]), rows[0]
    assert any(kind.startswith("UPDATE") for kind in rows[1]["kinds"]), rows[1]
