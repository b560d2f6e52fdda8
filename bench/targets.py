"""The issue's targets, checked against a run's results: met, missed (by how much), or not
measured, never guessed."""
from __future__ import annotations

from typing import Any, Iterable

from .scenarios import LOOKUPS


def find(results: Iterable[dict[str, Any]], **labels: Any) -> list[dict[str, Any]]:
    return [r for r in results if all(r.get(k) == v for k, v in labels.items())]


def one(results: Iterable[dict[str, Any]], **labels: Any) -> dict[str, Any] | None:
    found = [r for r in find(results, **labels) if r.get("requests")]
    return found[0] if found else None


def _verdict(name: str, backend: str, value: float | None, goal: float, *, at_most: bool,
             measured: str, unit: str = "×") -> dict[str, Any]:
    if value is None:
        return {"target": name, "backend": backend, "status": "not measured",
                "measured": measured, "goal": f"{'≤' if at_most else '≥'} {goal:g}{unit}"}
    met = value <= goal if at_most else value >= goal
    if met:
        margin = "met"
    elif at_most:
        margin = f"missed by {value / goal:.2f}× ({value:.2f}{unit} vs {goal:g}{unit})"
    else:
        margin = f"missed: {value / goal:.0%} of the goal ({value:.2f}{unit} vs {goal:g}{unit})"
    return {"target": name, "backend": backend, "status": "met" if met else "missed",
            "value": round(value, 3), "measured": measured, "margin": margin,
            "goal": f"{'≤' if at_most else '≥'} {goal:g}{unit}"}


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def evaluate(run: dict[str, Any], reference: dict[str, Any] | None,
             hello: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every target of issue 7 for one scim-server run."""
    results, backend = run["results"], run["backend"]
    out = []
    scales = sorted({r["scale"] for r in find(results, group="lookup")})
    for kind in LOOKUPS:
        low = one(results, group="lookup", kind=kind, scale=scales[0]) if scales else None
        high = one(results, group="lookup", kind=kind, scale=scales[-1]) if scales else None
        value = _ratio(high and high["p50_ms"], low and low["p50_ms"])
        text = (f"p50 {high['p50_ms']} ms at {scales[-1]:,} users vs {low['p50_ms']} ms at "
                f"{scales[0]:,}" if high and low else "no data")
        out.append(_verdict(f"lookup `{kind}`: p50 at the largest vs 1k directory", backend,
                            value, 1.5, at_most=True, measured=text))
    sizes = sorted({r["size"] for r in find(results, group="members")})
    for kind in ("add 1", "remove 1"):
        low = one(results, group="members", kind=kind, size=sizes[0]) if sizes else None
        high = one(results, group="members", kind=kind, size=sizes[-1]) if sizes else None
        value = _ratio(high and high["p50_ms"], low and low["p50_ms"])
        text = (f"p50 {high['p50_ms']} ms at {sizes[-1]:,} members vs {low['p50_ms']} ms at "
                f"{sizes[0]:,}" if high and low else "no data")
        out.append(_verdict(f"group `{kind}`: p50 on the largest vs 1k group", backend, value,
                            1.5, at_most=True, measured=text))
        out.append(_versus_reference(results, reference, kind, backend))
    out.append(_cursor(results, backend))
    out.append(_create(results, reference, backend))
    out.append(_ceiling(results, hello, backend))
    peak = (run.get("memory") or {}).get("max_worker_peak_mb")
    out.append(_verdict("peak resident memory of any worker", backend, peak, 200, at_most=True,
                        measured=f"{peak} MB" if peak else "no data", unit=" MB"))
    return out


def _versus_reference(results: list[dict[str, Any]], reference: dict[str, Any] | None,
                      kind: str, backend: str) -> dict[str, Any]:
    name = f"group `{kind}`: ≥100× faster than scim2-server on its largest group"
    ref_sizes = sorted({r["size"] for r in find(reference["results"] if reference else [],
                                                group="members", kind=kind)})
    if not ref_sizes:
        return _verdict(name, backend, None, 100, at_most=False, measured="no reference data")
    size = ref_sizes[-1]
    theirs = one(reference["results"], group="members", kind=kind, size=size)
    ours = one(results, group="members", kind=kind, size=size)
    value = _ratio(theirs and theirs["p50_ms"], ours and ours["p50_ms"])
    text = (f"{size:,} members: scim2-server p50 {theirs['p50_ms']} ms, ours {ours['p50_ms']} ms"
            if theirs and ours else f"no scim-server figure at {size:,} members")
    return _verdict(name, backend, value, 100, at_most=False, measured=text)


def _cursor(results: list[dict[str, Any]], backend: str) -> dict[str, Any]:
    name = "cursor paging: a page near the end vs the first page"
    pages = find(results, group="page")
    scales = sorted({r["scale"] for r in pages if r["kind"].startswith("cursor")})
    if not scales:
        return {"target": name, "backend": backend, "status": "not available",
                "measured": "the server does not announce cursor pagination (RFC 9865)",
                "goal": "≤ 1.5×"}
    largest = max((r["scale"] for r in find(results, group="lookup")), default=scales[-1])
    if scales[-1] < largest:
        return {"target": name, "backend": backend, "status": "not measured",
                "measured": f"cursor pages measured only up to {scales[-1]:,} users: the walk "
                            f"to a deep cursor failed at {largest:,} (see the walk errors)",
                "goal": "≤ 1.5×"}
    first = one(results, group="page", kind="cursor, first page", scale=scales[-1])
    last = one(results, group="page", kind="cursor, near the end", scale=scales[-1])
    value = _ratio(last and last["p50_ms"], first and first["p50_ms"])
    text = (f"{scales[-1]:,} users: p50 {last['p50_ms']} ms for the page after position "
            f"{last.get('position') or 0:,} vs {first['p50_ms']} ms for the first page"
            if first and last else "no data")
    return _verdict(name, backend, value, 1.5, at_most=True, measured=text)


def _create(results: list[dict[str, Any]], reference: dict[str, Any] | None,
            backend: str) -> dict[str, Any]:
    name = "POST /Users throughput vs scim2-server (worst thread count)"
    ratios = []
    for ours in find(results, group="create"):
        theirs = one(reference["results"] if reference else [], group="create",
                     threads=ours["threads"])
        ratio = _ratio(ours["throughput"], theirs and theirs["throughput"])
        if ratio is not None:
            ratios.append((ratio, ours["threads"], ours["throughput"], theirs["throughput"]))
    if not ratios:
        return _verdict(name, backend, None, 2, at_most=False, measured="no reference data")
    text = "; ".join(f"{t} threads: {a:.0f} vs {b:.0f} req/s ({r:.2f}×)" for r, t, a, b in ratios)
    return _verdict(name, backend, min(r[0] for r in ratios), 2, at_most=False, measured=text)


def _ceiling(results: list[dict[str, Any]], hello: dict[str, Any] | None,
             backend: str) -> dict[str, Any]:
    name = "GET /Users/{id} throughput vs the bare Flask ceiling"
    reads = find(results, group="read")
    top = max((r["scale"] for r in reads), default=None)
    ours = one(results, group="read", scale=top) if top else None
    ceiling = one(hello["results"], group="ceiling") if hello else None
    value = _ratio(ours and ours["throughput"], ceiling and ceiling["throughput"])
    text = (f"{ours['throughput']:.0f} vs {ceiling['throughput']:.0f} req/s at {top:,} users"
            if ours and ceiling else "no data")
    return _verdict(name, backend, value, 0.4, at_most=False, measured=text)
