"""The one command: `python -m bench.run [--quick | --full] [--backend sqlite|postgresql|both]`.

Runs scim-server (per backend), the Flask hello ceiling and scim2-server one after the
other, never side by side, so each has the machine to itself; then writes report.json,
report.md and plots to the output folder, and with `--docs` the committed report page.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import report, servers, suite_peer, suite_reference, suite_scim
from . import scenarios as sc
from .driver import Driver
from .peer_targets import evaluate_peer
from .procmem import MemoryMonitor
from .profiles import PROFILES, Profile
from .targets import evaluate

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS = Path(__file__).resolve().parent / "analysis.md"


def run_hello(profile: Profile, workers: int, out_dir: Path) -> dict[str, Any]:
    """The bare Flask app under the same gunicorn settings: the stack's ceiling."""
    server = servers.start_module_server("flask-hello", "bench.hello_app",
                                         ["--workers", str(workers)], "/healthz", out_dir)
    monitor = MemoryMonitor(server.pid).start()
    try:
        driver = Driver(server.base, {}, out_dir, "hello", monitor)
        limits = sc.Limits(profile.requests * 4, profile.max_seconds, profile.threads)
        results = driver.run([sc.hello(limits, target="flask-hello", backend="none",
                                       threads=profile.threads)])
    finally:
        monitor.stop()
        server.stop()
    return {"target": "flask-hello", "backend": "none", "workers": workers, "results": results,
            "memory": monitor.report(), "seeding": [], "notes": []}


def postgres_version() -> str | None:
    try:
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc",
                               "SHOW server_version"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return f"PostgreSQL {done.stdout.strip()}" if done.returncode == 0 else None


def _write(meta: dict[str, Any], runs: list[dict[str, Any]], started: float, out_dir: Path,
           docs: Path | None) -> list[dict[str, Any]]:
    meta["duration_s"] = round(time.time() - started, 1)
    reference = next((r for r in runs if r["target"] == "scim2-server"), None)
    hello = next((r for r in runs if r["target"] == "flask-hello"), None)
    ordered = sorted(runs, key=lambda r: r["target"] != "scim-server")  # stable otherwise
    evaluated = [t for r in ordered if r["target"] == "scim-server"
                 for t in evaluate(r, reference, hello)]
    evaluated += [t for r in ordered if r["target"] == "scim-server"
                  for peer in runs if peer["target"] == suite_peer.TARGET
                  and peer["backend"] == r["backend"] for t in evaluate_peer(r, peer)]
    data = {"meta": meta, "runs": ordered, "targets": evaluated}
    if docs is not None and ANALYSIS.exists():
        data["analysis"] = ANALYSIS.read_text()
    report.write(data, out_dir, docs)
    return evaluated


def code_version() -> str:
    """The commit the server ran from, and whether the tree had uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{commit}{' with uncommitted changes' if dirty.strip() else ''}" or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", dest="profile", const="quick",
                      help="1k/10k users, groups of 1k/5k: a few minutes (the default)")
    size.add_argument("--full", action="store_const", dest="profile", const="full",
                      help="1k/100k/1M users, groups of 1k/100k/300k")
    size.add_argument("--profile", choices=sorted(PROFILES), dest="profile")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: bench/results/<time>)")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip scim2-server and the Flask ceiling")
    parser.add_argument("--no-peer", action="store_true",
                        help="skip django-scim2 (the database-backed peer)")
    parser.add_argument("--docs", type=Path, default=None,
                        help="also write the report page here (e.g. docs/benchmarks.md)")
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile or "quick"]
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = (args.out or ROOT / "bench" / "results" / f"{stamp}-{profile.name}").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    started = time.time()
    meta: dict[str, Any] = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "profile": profile.name, "workers": args.workers, "client_threads": profile.threads,
        "user_scales": list(profile.user_scales), "group_sizes": list(profile.group_sizes),
        "machine": report.machine(), "code": code_version(),
        "postgresql": postgres_version() if "postgresql" in backends else None,
    }
    runs: list[dict[str, Any]] = []
    stages = [] if args.no_reference else [
        ("Flask hello ceiling", lambda: run_hello(profile, args.workers, out_dir)),
        ("scim2-server (reference)", lambda: suite_reference.run(profile, out_dir))]
    stages += [(f"scim-server on {b} ({profile.name})",
                lambda b=b: suite_scim.run(b, profile, args.workers, out_dir)) for b in backends]
    if not args.no_peer:
        stages += [(f"django-scim2 on {b} ({profile.name})",
                    lambda b=b: suite_peer.run(b, profile, args.workers, out_dir))
                   for b in backends]
    meta["stages_planned"] = [title for title, _ in stages]
    meta["stages_done"] = []
    for title, stage in stages:
        print(f"== {title}", flush=True)
        runs.append(stage())
        meta["stages_done"].append(title)
        # Rewritten after every stage, so an interrupted run still leaves what it measured.
        evaluated = _write(meta, runs, started, out_dir, args.docs)
    print(f"report: {out_dir / 'report.md'}")
    for target in evaluated:
        print(f"  [{target['status']:>12}] {target['backend']:10} {target['target']}: "
              f"{target['measured']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
