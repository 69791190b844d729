"""A participant that goes offline is defended by its watchtower (the challenger role) from the receipts it
handed over: a withheld receipt is requested, the answer is checked, the bad round challenged and faulted.
"""

from __future__ import annotations

import pytest

from settlefl.chain.projection import DisputeStatus
from settlefl.roles.participant import Watchtower
from tests.roles.conftest import World, new_account
from tests.roles.disputes import FaultPayout, audited, commit_by_hand, follow_money, forged_round, settle

pytestmark = pytest.mark.slow


def test_a_participant_offline_after_round_2_is_paid_pro_rata_from_round_2_through_its_watchtower(
        world: World) -> None:
    aggregator = world.aggregator(3)
    p0, p1, p2 = (world.participants[n] for n in ("p0", "p1", "p2"))
    addresses = [p.address for p in (p0, p1, p2)]
    tower_account = new_account(world.chain)
    tower = Watchtower(world.context(tower_account, "tower"), aggregator.job_id)
    for units in ([100, 201, 302], [5, 7, 11]):
        receipts = aggregator.submit_round(dict(zip(addresses, units, strict=True)))
        world.deliver(receipts)
        assert tower.register(receipts[p0.address], p0.address).ok  # p0 hands each receipt to its watchtower
    round2 = aggregator.state()
    purse = follow_money(world, aggregator, tower=tower.address)
    # From here on p0 is offline, and so are the other participants: only the watchtower and the aggregator act.

    # The attacker: round 3 cuts p0's units, is committed by hand, and p0's receipt is withheld (nobody gets one).
    bad = forged_round(round2, {p0.address: 5, p1.address: 300})
    commit_by_hand(world, aggregator, bad)
    aggregator.ctx.store.put_opening(bad)  # the aggregator's engine answers opening requests with it

    assert world.tick(tower, aggregator) == []
    world.warp(world.timing.receipt_grace)
    assert world.tick(tower) == ["requested the opening of round 3 (no receipt)"]
    assert world.tick(aggregator) == ["answered the opening request of round 3"]  # answer it must, or fault
    assert world.tick(tower) == [
        f"found round 3 invalid: participant {p0.address} (slot 0) would lose units (105 -> 5)",
        "challenged round 3",
    ]
    assert world.tick(aggregator) == []  # no Transition proof exists for a cut
    world.warp(aggregator.refresh().config.terms.response_window + 1)
    assert world.tick(aggregator, tower) == ["resolved the unanswered challenge of round 3"]
    job = tower.refresh()
    assert (job.tip, job.faulted, job.challenges[3].status, job.requests[3].status) == (
        2, True, DisputeStatus.UNANSWERED, DisputeStatus.ANSWERED)

    done = settle(world, [tower])  # the watchtower opens payouts and pays its client's batch
    assert {"opened payouts", "paid batch 0"} <= set(done)
    terms = job.config.terms
    owed = FaultPayout.of(round2, terms)
    assert purse.received() == {
        # the watchtower challenged: rho and the dust; its request fee went to the aggregator who answered
        "tower": owed.reward + owed.dust - terms.request_fee,
        "aggregator": terms.request_fee,
        "p0": owed.shares[p0.address],
        "p1": owed.shares[p1.address],
        "p2": owed.shares[p2.address],
    }
    report = audited(world, aggregator.job_id, {"createJob": 1, "answerOpening": 1, "payout": 1})
    assert (report.faulted, report.tip, report.reward_recipient) == (True, 2, tower.address)
