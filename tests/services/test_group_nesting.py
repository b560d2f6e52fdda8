"""One nesting walk: a user's SCIM `groups`, seat counts and product access agree.

RFC 7643 §4.1.2: a member of a nested group is an indirect member of every group above
it. Each rule that follows nesting reads through `group_nesting`, with one depth limit;
these chains are deeper than the 32 levels one of the old walks stopped at, and reach
the limit itself.
"""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Account, Group, Product, ProductGrant
from scim_server.services import group_nesting, licences, memberships, product_access
from scim_server.services.group_nesting import MAX_NESTING_DEPTH


def _chain(add_group: Callable[..., Group], length: int, user_id: str) -> list[Group]:
    """Groups g0 ⊃ g1 ⊃ ... ⊃ g(length-1); the user is a direct member of the innermost."""
    inner = add_group(f"g{length - 1:03}", users=(user_id,))
    chain = [inner]
    for level in range(length - 2, -1, -1):
        chain.insert(0, add_group(f"g{level:03}", groups=(chain[0].id,)))
    return chain


def _views(db_session: Session, tenant: Tenant, account: Account, product: Product
           ) -> tuple[int, int, bool]:
    """(groups SCIM shows, seats used of the product, product in the user's access)."""
    shown = memberships.groups_of_members(db_session, [account.id], tenant.directory_id)
    access = product_access.effective_access(db_session, [account.id])[account.id]
    return (len(shown.get(account.id, [])), licences.used_seats(db_session, product),
            any(a.product_id == product.id for a in access))


@pytest.mark.parametrize("length", [40, MAX_NESTING_DEPTH - 1, MAX_NESTING_DEPTH])
def test_groups_seats_and_access_agree_on_a_deep_chain(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_group: Callable[..., Group], add_product: Callable[..., Product],
        length: int) -> None:
    account = add_account("deep@example.com")
    chain = _chain(add_group, length, account.id)
    product = add_product("deep", seat_limit=5)
    db_session.add(ProductGrant(org_id=tenant.org_id, product_id=product.id,
                                group_id=chain[0].id, role="user"))
    db_session.flush()
    assert _views(db_session, tenant, account, product) == (length, 1, True)
    shown = memberships.groups_of_members(db_session, [account.id], tenant.directory_id)
    assert shown[account.id][0] == (chain[-1].id, chain[-1].display_name, "direct")
    assert [kind for _id, _name, kind in shown[account.id][1:]] == ["indirect"] * (length - 1)
    # Nearest first: the order goes outwards, one level at a time.
    assert [gid for gid, _n, _k in shown[account.id]] == [g.id for g in reversed(chain)]


def test_reads_past_the_limit_stop_at_the_same_depth_everywhere(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_group: Callable[..., Group], add_product: Callable[..., Product]) -> None:
    """Data written before the limit existed: every rule reads it the same way."""
    account = add_account("past@example.com")
    chain = _chain(add_group, MAX_NESTING_DEPTH + 3, account.id)
    product = add_product("past", seat_limit=5)
    db_session.add(ProductGrant(org_id=tenant.org_id, product_id=product.id,
                                group_id=chain[0].id, role="user"))
    db_session.flush()
    groups_shown, seats, has_access = _views(db_session, tenant, account, product)
    assert groups_shown == MAX_NESTING_DEPTH
    assert (seats, has_access) == (0, False)  # the top is beyond the limit for all of them
    reached = set(db_session.scalars(group_nesting.ancestors(
        select(Group.id).where(Group.id == chain[-1].id))))
    assert reached == {g.id for g in chain[3:]}


def test_a_membership_past_the_limit_or_making_a_cycle_is_refused(
        db_session: Session, add_account: Callable[..., Account],
        add_group: Callable[..., Group]) -> None:
    account = add_account("limit@example.com")
    chain = _chain(add_group, MAX_NESTING_DEPTH, account.id)
    spare = add_group("spare")
    problem = group_nesting.nesting_problem(db_session, chain[-1].id, spare.id)
    assert problem is not None and str(MAX_NESTING_DEPTH) in problem
    assert group_nesting.nesting_problem(db_session, spare.id, chain[0].id) is not None
    assert group_nesting.nesting_problem(db_session, chain[1].id, spare.id) is None
    assert "cycle" in (group_nesting.nesting_problem(db_session, chain[-1].id, chain[0].id)
                       or "")
    assert "cycle" in (group_nesting.nesting_problem(db_session, spare.id, spare.id) or "")


def _plan_of(db_session: Session, run: Callable[[], object]) -> str:
    """SQLite's plan of the statement `run` sends, with the parameters it sends."""
    from sqlalchemy import event

    sent: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, *_args):
        sent.append((statement, parameters))

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    rows = db_session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                   parameters)
    return "\n".join(row[-1] for row in rows)


def test_the_walk_never_reads_a_whole_group_or_every_membership(
        db_session: Session, tenant: Tenant, add_account: Callable[..., Account],
        add_group: Callable[..., Group], backend: str) -> None:
    """A user's `groups` and a group's nested groups are found by index, whatever the
    size of the groups: SQLite, left to itself once it has statistics, built a Bloom
    filter (or an automatic index) over every membership row on each walk, and went down
    a 300,000-member group by reading all its members (issue 15)."""
    if backend != "sqlite":
        pytest.skip("the plan shapes are SQLite's; PostgreSQL plans by its own statistics")
    from sqlalchemy import text

    user = add_account("member@example.com")
    crowd = [add_account(f"u{n}@example.com").id for n in range(3_000)]
    big = add_group("big", users=(user.id, *crowd))
    outer = add_group("outer", groups=(big.id,))
    db_session.execute(text("ANALYZE"))

    up = _plan_of(db_session, lambda: memberships.groups_of_members(
        db_session, [user.id], tenant.directory_id))
    down = _plan_of(db_session, lambda: db_session.execute(group_nesting.descendants(
        select(Group.id).where(Group.id == big.id))).all())
    for plan in (up, down):
        assert "BLOOM FILTER" not in plan and "AUTOMATIC" not in plan, plan
        full_reads = [line for line in plan.splitlines() if "SCAN group_members" in line
                      and "ix_group_members_nested_down" not in line]  # edges only: fine
        assert full_reads == [], plan
    assert "ix_group_members_nested_down" in down, down
    shown = memberships.groups_of_members(db_session, [user.id], tenant.directory_id)
    assert [(name, kind) for _gid, name, kind in shown[user.id]] == [
        ("big", "direct"), ("outer", "indirect")]
