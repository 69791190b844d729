"""The join rule, played by the role engines: a participant who joins late holds the openings of every round
back to the last closed one, refuses to train without them, and alone defends a round from before it joined.
"""

from __future__ import annotations

import pytest

from settlefl.chain.projection import DisputeStatus
from tests.roles.conftest import World, new_account
from tests.roles.disputes import audited, challenge_by_hand, follow_money, settle, sign_by_hand

pytestmark = pytest.mark.slow


def test_a_participant_who_joined_at_round_3_alone_answers_the_aggregators_challenge_of_round_2_and_keeps_its_units(
        world: World) -> None:
    aggregator = world.aggregator(2)
    p0, p1 = world.participants["p0"], world.participants["p1"]
    joiner = world.add_participant("joiner", new_account(world.chain), aggregator.job_id)
    sybil = new_account(world.chain)  # the aggregator's second account
    for u0, u1 in ([100, 201], [302, 403]):
        world.deliver(aggregator.submit_round({p0.address: u0, p1.address: u1}))
    purse = follow_money(world, aggregator, sybil=sybil.address)

    receipts = aggregator.submit_round({p0.address: 10, p1.address: 20, joiner.address: 55}, joins=[joiner.address])
    receipt = receipts[joiner.address]
    assert [o.round for o in receipt.history] == [0, 1, 2]  # no round has closed yet: back to the genesis
    assert receipt.defends_from == 1
    world.deliver(receipts)
    assert joiner.may_train() == (True, "")

    # From here on every earlier participant is silent, and so is the aggregator's engine: its second account
    # challenges round 2, hoping nobody holds rounds 1 and 2 to answer and the job rolls back to before the join.
    challenge_by_hand(world, sybil, aggregator, 2)
    assert world.tick(joiner) == []  # it leaves the aggregator its respond_delay
    world.warp(world.timing.respond_delay + 1)
    assert world.tick(joiner) == ["answered the challenge of round 2"]
    job = joiner.refresh()
    assert (job.challenges[2].status, job.challenges[2].answered_by, job.tip) == (
        DisputeStatus.ANSWERED, joiner.address, 3)

    done = settle(world, [joiner])  # the aggregator stays away: the joiner closes the abandoned job and pays
    assert {"finalized the abandoned job", "opened payouts", "paid batch 0"} <= set(done)
    terms = job.config.terms
    units = {"p0": 100 + 302 + 10, "p1": 201 + 403 + 20, "joiner": 55}
    paid = {name: u * terms.unit_price for name, u in units.items()}
    assert purse.received() == {
        "aggregator": terms.escrow - sum(paid.values()) + terms.bond,
        "sybil": -terms.challenger_bond,
        "p0": paid["p0"],
        "p1": paid["p1"],
        "joiner": paid["joiner"] + terms.challenger_bond,
    }
    audited(world, aggregator.job_id, {"createJob": 1, "respond": 1, "payout": 1})


def test_a_joiner_trains_on_the_openings_back_to_the_last_closed_round_and_refuses_a_history_one_round_shorter(
        world: World) -> None:
    aggregator = world.aggregator(2)
    p0, p1 = world.participants["p0"], world.participants["p1"]
    joiner = world.add_participant("joiner", new_account(world.chain), aggregator.job_id)
    window = aggregator.refresh().config.terms.challenge_window
    world.deliver(aggregator.submit_round({p0.address: 100, p1.address: 201}))
    world.warp(window // 2)
    world.deliver(aggregator.submit_round({p0.address: 302, p1.address: 403}))
    round2 = aggregator.state()
    world.warp(window // 2 + 50)  # round 1's window has closed, round 2's has not
    job = aggregator.refresh()
    assert job.last_closed_round(aggregator.now()) == 1
    receipts = aggregator.submit_round({p0.address: 10, joiner.address: 55}, joins=[joiner.address])
    round3 = aggregator.state()
    assert [o.round for o in receipts[joiner.address].history] == [1, 2]  # from the last closed round on

    # Round 2 can still be challenged, but this receipt opens only round 2: round 2 is indefensible with it.
    short = sign_by_hand(world, aggregator, round3, history=[round2])
    assert short.defends_from == 3
    verdict = joiner.accept(short)
    assert (verdict.status, verdict.action) == ("refused", "not training until the openings arrive")
    may_train, why = joiner.may_train()
    assert not may_train and "start at round 2" in why and "since round 1 (the last closed one)" in why

    assert joiner.accept(receipts[joiner.address]).ok  # the engine's receipt opens rounds 1 and 2
    assert joiner.may_train() == (True, "")
