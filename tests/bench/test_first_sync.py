"""`bench.first_sync` on a few hundred users: the whole path (serve, worker, Bulk pushes,
lookups, the cursor walk, the report) on each backend, in seconds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import first_sync

from .test_bench_smoke import BACKENDS, _require_postgres

USERS = 450


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_small_first_sync_stores_every_user_and_reports_it(backend: str, tmp_path: Path
                                                              ) -> None:
    if backend == "postgresql":
        _require_postgres()
    assert first_sync.main(["--backend", backend, "--users", str(USERS), "--bulk-size", "100",
                            "--walk-page", "100", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "first_sync.json").read_text())
    sync = report["sync"]
    assert sync["users_created"] == sync["stored"] == USERS and sync["error_count"] == 0
    assert set(report["lookups"]) == {"userName eq", "externalId eq", "emails[value eq]"}
    cursor = report["cursor"]
    assert 0 < cursor["deep_position"] < USERS, "the deep page is before the end, not at it"
    assert cursor["walk_pages"] >= 4
    assert report["memory"]["serve_workers"]["max_worker_peak_mb"] > 0
    assert report["memory"]["worker"]["max_worker_peak_mb"] > 0

