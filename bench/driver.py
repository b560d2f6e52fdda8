"""Hand scenarios to a separate client process and collect what it measured."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from .procmem import MemoryMonitor


class Driver:
    """Runs plans against one server through `python -m bench.client`, numbering them."""

    def __init__(self, base: str, headers: dict[str, str], out_dir: Path, tag: str,
                 monitor: MemoryMonitor | None = None, echo: Any = print):
        self.base = base
        self.headers = headers
        self.plan_dir = out_dir / "plans"
        self.plan_dir.mkdir(parents=True, exist_ok=True)
        self.tag = tag
        self.monitor = monitor
        self.echo = echo
        self.serial = 0

    def run(self, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run the scenarios in order in one client process; a bounded wait."""
        if not scenarios:
            return []
        self.serial += 1
        plan_path = self.plan_dir / f"{self.tag}-{self.serial:02d}.json"
        result_path = plan_path.with_suffix(".result.json")
        plan_path.write_text(json.dumps({"base": self.base, "headers": self.headers,
                                         "scenarios": scenarios}))
        budget = sum(float(s.get("max_seconds", 30)) for s in scenarios) + 60
        root = str(Path(__file__).resolve().parent.parent)
        subprocess.run([sys.executable, "-m", "bench.client", str(plan_path), str(result_path)],
                       check=True, timeout=budget * 2 + 120, cwd=root)
        results: list[dict[str, Any]] = json.loads(result_path.read_text())
        plan_path.unlink()
        load = round(os.getloadavg()[0], 2)
        for result in results:
            result["load_1m"] = load
            if self.monitor is not None:
                peak = self.monitor.peak_between(result["started"], result["ended"])
                result["peak_worker_mb"] = round(peak / 1024, 1) if peak else None
            self.echo(_line(result))
        return results

    def get_json(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.base + path, headers=self.headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            return dict(json.loads(response.read()))


def _line(result: dict[str, Any]) -> str:
    where = " ".join(f"{k}={result[k]}" for k in ("scale", "size") if result.get(k) is not None)
    return (f"  {result.get('target', '')[:12]:12} {result['name'][:34]:34} {where:14} "
            f"n={result['requests']:<5} err={result['errors']:<3} "
            f"p50={result['p50_ms']} p95={result['p95_ms']} p99={result['p99_ms']} ms "
            f"{result['throughput']} req/s")


def capabilities(driver: Driver) -> dict[str, Any]:
    """Bulk and cursor support, as `/ServiceProviderConfig` announces them (RFC 9865 §4)."""
    config = driver.get_json("/ServiceProviderConfig")
    bulk = config.get("bulk") or {}
    pagination = config.get("pagination") or {}
    return {"bulk": bool(bulk.get("supported")),
            "bulk_max_operations": int(bulk.get("maxOperations") or 0),
            "cursor": bool(pagination.get("cursor")),
            "max_page_size": int(pagination.get("maxPageSize")
                                 or (config.get("filter") or {}).get("maxResults") or 100)}
