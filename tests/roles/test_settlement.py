"""Whole jobs settled by the role engines alone: both variants, every balance asserted."""

from __future__ import annotations

import pytest

from settlefl.chain.contract import Phase, Variant
from settlefl.roles.aggregator import JobPlan
from tests.roles.conftest import World

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("variant", [Variant.COMMIT_CHALLENGE, Variant.COMMIT_PROOF])
def test_a_job_of_ten_participants_and_five_rounds_settles_and_pays_every_unit(world: World, variant: Variant) -> None:
    plan = JobPlan(variant=variant, unit_price=10**12, max_units=10**6)
    aggregator = world.aggregator(10, plan)
    names = sorted(world.participants)
    addresses = {n: world.accounts[n].address for n in names}
    expected = {n: 0 for n in names}
    for r in range(1, 6):
        units: dict[str, int] = {addresses[n]: 100 * r + i for i, n in enumerate(names)}
        for i, n in enumerate(names):
            expected[n] += 100 * r + i
        receipts = aggregator.submit_round(units)
        world.deliver(receipts)
        world.warp(30)
        world.tick(*world.participants.values())
    before = {n: world.chain.w3.eth.get_balance(addresses[n]) for n in names}
    aggregator.finish()
    world.warp(700)
    done = world.tick(aggregator)
    assert "finalized (and opened payouts)" in done
    job = aggregator.refresh()
    assert job.phase is Phase.COMPLETED
    paid = {n: world.chain.w3.eth.get_balance(addresses[n]) - before[n] for n in names}
    assert paid == {n: expected[n] * plan.unit_price for n in names}
    escrow = plan.max_units * plan.unit_price
    assert job.completed is not None
    refund = job.completed[0]
    assert sum(paid.values()) == escrow - refund
    assert world.settle.held_of(aggregator.job_id, job.config) == (0, 0, 0)
