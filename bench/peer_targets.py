"""Issue 15's targets against django-scim2, the database-backed peer, on the same backend.

Ratios are peer cost over ours (or our throughput over the peer's), so ≥ goal is met.
Each comparison is at the largest user scale or group size both runs measured.
"""
from __future__ import annotations

from typing import Any

from .targets import _ratio, _verdict, find, one

PEER = "django-scim2"


def evaluate_peer(run: dict[str, Any], peer: dict[str, Any] | None) -> list[dict[str, Any]]:
    backend = run["backend"]
    ours, theirs = run["results"], (peer or {}).get("results", [])
    out = []
    creates = []
    for mine in find(ours, group="create"):
        other = one(theirs, group="create", threads=mine["threads"])
        ratio = _ratio(mine["throughput"], other and other["throughput"])
        if ratio is not None:
            creates.append((ratio, mine["threads"], mine["throughput"], other["throughput"]))
    text = "; ".join(f"{t} threads: {a:.0f} vs {b:.0f} req/s ({r:.2f}×)"
                     for r, t, a, b in creates) or "no peer data"
    out.append(_verdict(f"POST /Users throughput vs {PEER} (worst thread count)", backend,
                        min((r[0] for r in creates), default=None), 1.5, at_most=False,
                        measured=text))
    out.append(_compare(ours, theirs, backend, "update", "PUT", "scale", "p50_ms",
                        f"PUT /Users/{{id}} p50 vs {PEER}", 1.5, faster_is_lower=True))
    out.append(_compare(ours, theirs, backend, "read", "GET /Users/{id}", "scale", "throughput",
                        f"GET /Users/{{id}} throughput vs {PEER}", 1.2, faster_is_lower=False))
    out.append(_compare(ours, theirs, backend, "lookup", "userName eq", "scale", "p50_ms",
                        f"lookup `userName eq` p50 vs {PEER}", 2, faster_is_lower=True))
    for kind in ("add 1", "remove 1", "GET, excludedAttributes=members"):
        group = "group-read" if kind.startswith("GET") else "members"
        out.append(_compare(ours, theirs, backend, group, kind, "size", "p50_ms",
                            f"group `{kind}` p50 vs {PEER}", 20, faster_is_lower=True))
    return out


def _compare(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], backend: str,
             group: str, kind: str, axis: str, metric: str, name: str, goal: float, *,
             faster_is_lower: bool) -> dict[str, Any]:
    common = sorted({r[axis] for r in find(ours, group=group, kind=kind)}
                    & {r[axis] for r in find(theirs, group=group, kind=kind)})
    if not common:
        return _verdict(name, backend, None, goal, at_most=False, measured="no peer data")
    at = common[-1]
    mine = one(ours, group=group, kind=kind, **{axis: at})
    other = one(theirs, group=group, kind=kind, **{axis: at})
    a, b = (mine or {}).get(metric), (other or {}).get(metric)
    value = _ratio(b, a) if faster_is_lower else _ratio(a, b)
    unit = "ms" if metric == "p50_ms" else "req/s"
    where = f"{at:,} {'users' if axis == 'scale' else 'members'}"
    text = f"{where}: ours {a} {unit}, {PEER} {b} {unit}" if a and b else "no data"
    return _verdict(name, backend, value, goal, at_most=False, measured=text)
