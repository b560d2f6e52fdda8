"""How big and how long: the `tiny` (tests), `quick` (minutes), `peer` (the django-scim2
comparison of issue 15: 20,000 users, a 5,000-member group) and `full` (1M users) runs."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Sizes and bounds of one benchmark run; every loop is bounded by count and time."""

    name: str
    user_scales: tuple[int, ...]
    group_sizes: tuple[int, ...]
    member_pool: int            # users outside every group, added and removed again
    requests: int               # requests per scenario (at most)
    max_seconds: float          # seconds per scenario (at most)
    create_users: int           # POST /Users per thread level
    create_threads: tuple[int, ...]
    bulk_requests: int
    bulk_operations: int
    walk_seconds: float
    group_get_requests: int     # full GETs of each group (large bodies)
    reference_user_scales: tuple[int, ...]
    reference_group_sizes: tuple[int, ...]
    reference_seed_seconds: float
    threads: int = 4

    @property
    def users_needed(self) -> int:
        return max(self.user_scales)


PROFILES = {
    "tiny": Profile(
        name="tiny", user_scales=(40, 80), group_sizes=(20, 40), member_pool=30,
        requests=8, max_seconds=5, create_users=6, create_threads=(1, 4),
        bulk_requests=1, bulk_operations=10, walk_seconds=5, group_get_requests=2,
        reference_user_scales=(60,), reference_group_sizes=(20,),
        reference_seed_seconds=10, threads=2),
    "quick": Profile(
        name="quick", user_scales=(1_000, 10_000), group_sizes=(1_000, 5_000),
        member_pool=2_000, requests=300, max_seconds=8, create_users=200,
        create_threads=(1, 4, 16), bulk_requests=2, bulk_operations=1_000, walk_seconds=20,
        group_get_requests=5, reference_user_scales=(1_000, 10_000),
        reference_group_sizes=(1_000, 5_000), reference_seed_seconds=60),
    "peer": Profile(
        name="peer", user_scales=(20_000,), group_sizes=(5_000,), member_pool=1_000,
        requests=300, max_seconds=8, create_users=300, create_threads=(4,),
        bulk_requests=1, bulk_operations=1_000, walk_seconds=10, group_get_requests=3,
        reference_user_scales=(20_000,), reference_group_sizes=(5_000,),
        reference_seed_seconds=60),
    "full": Profile(
        name="full", user_scales=(1_000, 100_000, 1_000_000),
        group_sizes=(1_000, 100_000, 300_000), member_pool=5_000, requests=400,
        max_seconds=10, create_users=500, create_threads=(1, 4, 16), bulk_requests=3,
        bulk_operations=1_000, walk_seconds=45, group_get_requests=3,
        reference_user_scales=(1_000, 100_000),
        reference_group_sizes=(1_000, 100_000, 300_000),
        reference_seed_seconds=150),
}
