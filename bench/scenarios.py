"""The scenarios of the benchmark, as plans of concrete requests for `bench.client`.

Each builder returns one scenario: a name, labels the report groups by (`group`, `kind`,
`scale`, ...), a thread count, limits, and the requests themselves. Builders are pure, so
the same scenario runs unchanged against scim-server and the reference server.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import quote

from .seed import external_id, user_document, user_name

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
#: First index of users created over HTTP, far above any seeded index.
SYNC_BASE = 9_000_000


@dataclass(frozen=True)
class Limits:
    """How much one scenario may do: requests, seconds, threads."""

    requests: int
    max_seconds: float
    threads: int = 4


def scenario(name: str, requests: list[dict[str, Any]], limits: Limits,
             **labels: Any) -> dict[str, Any]:
    return {"name": name, "requests": requests, "threads": limits.threads,
            "max_seconds": limits.max_seconds, "labels": labels}


def user_body(index: int, **changes: Any) -> dict[str, Any]:
    return {"schemas": [CORE_USER], **user_document(index), **changes}


def create_users(first: int, limits: Limits, **labels: Any) -> dict[str, Any]:
    """POST /Users of `limits.requests` new users (an identity provider's first sync)."""
    requests = [{"method": "POST", "path": "/Users", "body": user_body(first + i),
                 "expect": [201]} for i in range(limits.requests)]
    return scenario(f"create users x{limits.threads}", requests, limits, group="create",
                    kind="POST /Users", **labels)


def bulk_create(first: int, operations: int, limits: Limits, **labels: Any) -> dict[str, Any]:
    """POST /Bulk of `operations` user creations, `limits.requests` times (RFC 7644 §3.7)."""
    requests = []
    for r in range(limits.requests):
        start = first + r * operations
        requests.append({"method": "POST", "path": "/Bulk", "expect": [200],
                         "expect_created": operations, "body": {
            "schemas": [BULK_REQUEST], "failOnErrors": 1,
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": f"u{start + i}",
                            "data": user_body(start + i)} for i in range(operations)]}})
    return scenario(f"bulk {operations} creates", requests, limits, group="bulk",
                    kind=f"POST /Bulk ({operations} ops)", **labels)


LOOKUPS: dict[str, Callable[[int], str]] = {
    "userName eq": lambda i: f'userName eq "{user_name(i)}"',
    "externalId eq": lambda i: f'externalId eq "{external_id(i)}"',
    "emails[value eq]": lambda i: f'emails[value eq "{user_name(i)}"]',
}


def sample(population: int, size: int, seed: int) -> list[int]:
    """`size` indexes below `population`, drawn reproducibly (repeats when it is small)."""
    rng = random.Random(seed)
    if size <= population:
        return rng.sample(range(population), size)
    return [rng.randrange(population) for _ in range(size)]


def lookup(kind: str, indexes: Sequence[int], limits: Limits, variant: str = "",
           **labels: Any) -> dict[str, Any]:
    """GET /Users?filter=... for one seeded user each: a sync cycle's per-user lookup."""
    make = LOOKUPS[kind]
    requests = [{"method": "GET", "path": "/Users?filter=" + quote(make(i)), "expect_total": 1}
                for i in indexes]
    return scenario(f"filter {kind}{variant}", requests, limits, group="lookup",
                    kind=kind + variant, **labels)


def get_users(ids: Sequence[str], limits: Limits, **labels: Any) -> dict[str, Any]:
    requests = [{"method": "GET", "path": f"/Users/{uid}"} for uid in ids]
    return scenario("GET /Users/{id}", requests, limits, group="read", kind="GET /Users/{id}",
                    **labels)


def replace_users(targets: Sequence[tuple[int, str]], limits: Limits,
                  **labels: Any) -> dict[str, Any]:
    """PUT /Users/{id} with a changed displayName (the rest as seeded)."""
    requests = [{"method": "PUT", "path": f"/Users/{uid}",
                 "body": user_body(i, displayName=f"Renamed {i} {n}")}
                for n, (i, uid) in enumerate(targets)]
    return scenario("PUT /Users/{id}", requests, limits, group="update", kind="PUT", **labels)


def patch_users(ids: Sequence[str], limits: Limits, **labels: Any) -> dict[str, Any]:
    requests = [{"method": "PATCH", "path": f"/Users/{uid}", "expect": [200, 204], "body": {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "displayName", "value": f"Patched {n}"}]}}
        for n, uid in enumerate(ids)]
    return scenario("PATCH /Users/{id}", requests, limits, group="update", kind="PATCH",
                    **labels)


def page_index(start: int, count: int, limits: Limits, where: str,
               **labels: Any) -> dict[str, Any]:
    requests = [{"method": "GET", "path": f"/Users?startIndex={start}&count={count}"}
                for _ in range(limits.requests)]
    return scenario(f"page index {where}", requests, limits, group="page",
                    kind=f"index, {where}", **labels)


def page_cursor(cursor: str, count: int, limits: Limits, where: str,
                **labels: Any) -> dict[str, Any]:
    requests = [{"method": "GET", "path": f"/Users?cursor={quote(cursor)}&count={count}"}
                for _ in range(limits.requests)]
    return scenario(f"page cursor {where}", requests, limits, group="page",
                    kind=f"cursor, {where}", **labels)


def walk(mode: str, count: int, max_seconds: float, keep_cursor_after: int | None = None,
         params: str = "attributes=id", **labels: Any) -> dict[str, Any]:
    """Page through every user, by `cursor` (RFC 9865) or `index` (RFC 7644 §3.4.2.4).

    Pages ask for `attributes=id` by default, as a reconciliation pass does: the walk
    measures paging, and yields the deep cursor the near-the-end page scenario needs (a
    cursor does not depend on `attributes`)."""
    shown = f", {params}" if params else ""
    return {"name": f"walk all users by {mode}", "kind": "walk", "mode": mode,
            "path": "/Users", "count": count, "max_seconds": max_seconds, "params": params,
            "keep_cursor_after": keep_cursor_after,
            "labels": {"group": "walk", "kind": f"{mode}, {count} a page{shown}", **labels}}


def add_members(group_id: str, batches: Sequence[Sequence[str]], limits: Limits,
                **labels: Any) -> dict[str, Any]:
    """PATCH add of one batch of members per request (RFC 7644 §3.5.2.1)."""
    requests = [{"method": "PATCH", "path": f"/Groups/{group_id}", "expect": [200, 204],
                 "body": {"schemas": [PATCH_OP], "Operations": [
                     {"op": "add", "path": "members", "value": [{"value": m} for m in batch]}]}}
                for batch in batches]
    size = len(batches[0]) if batches else 0
    return scenario(f"add {size} member(s)", requests, limits, group="members",
                    kind=f"add {size}", **labels)


def remove_members(group_id: str, batches: Sequence[Sequence[str]], limits: Limits,
                   by_value: bool = False, **labels: Any) -> dict[str, Any]:
    """PATCH remove of one batch per request, one `members[value eq]` path per member
    (RFC 7644 §3.5.2.2); `by_value` sends the form Entra ID sends instead (`path: members`
    and the members in `value`), for peers that implement only that one."""
    def operations(batch: Sequence[str]) -> list[dict[str, Any]]:
        if by_value:
            return [{"op": "remove", "path": "members", "value": [{"value": m} for m in batch]}]
        return [{"op": "remove", "path": f'members[value eq "{m}"]'} for m in batch]
    requests = [{"method": "PATCH", "path": f"/Groups/{group_id}", "expect": [200, 204],
                 "body": {"schemas": [PATCH_OP], "Operations": operations(batch)}}
                for batch in batches]
    size = len(batches[0]) if batches else 0
    return scenario(f"remove {size} member(s)", requests, limits, group="members",
                    kind=f"remove {size}", **labels)


def get_group(group_id: str, limits: Limits, *, exclude_members: bool,
              **labels: Any) -> dict[str, Any]:
    query = "?excludedAttributes=members" if exclude_members else ""
    kind = "GET, excludedAttributes=members" if exclude_members else "GET with members"
    requests = [{"method": "GET", "path": f"/Groups/{group_id}{query}"}
                for _ in range(limits.requests)]
    return scenario(f"group {kind}", requests, limits, group="group-read", kind=kind, **labels)


def hello(limits: Limits, **labels: Any) -> dict[str, Any]:
    requests = [{"method": "GET", "path": "/hello"} for _ in range(limits.requests)]
    return scenario("Flask hello", requests, limits, group="ceiling", kind="GET /hello",
                    **labels)


def batches(ids: Sequence[str], size: int, count: int) -> list[list[str]]:
    """`count` consecutive batches of `size` ids (fewer when ids run out)."""
    return [list(ids[i * size:(i + 1) * size]) for i in range(count)
            if (i + 1) * size <= len(ids)]
