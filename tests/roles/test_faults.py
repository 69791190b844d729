"""Faulted jobs, played by the role engines against a malicious or vanished aggregator.

Each test: the attacker's own moves by hand (a round committed with a state built outside the engine,
receipts signed for it), everything else through the engines; at the end every balance that moved is
asserted net of gas, and the auditor finds the settlement SOUND.
"""

from __future__ import annotations

import pytest

from settlefl.chain.contract import Phase
from settlefl.chain.projection import DisputeStatus
from settlefl.roles.participant import held_state
from tests.roles.conftest import World
from tests.roles.disputes import (
    FaultPayout,
    audited,
    commit_by_hand,
    follow_money,
    forged_round,
    settle,
    sign_by_hand,
    units_of,
)

pytestmark = pytest.mark.slow

UNITS = [100, 201, 302]  # pro-rata shares of these leave rounding dust


def test_a_round_that_cuts_a_participants_units_is_challenged_unanswerable_and_faults_to_the_last_good_state(
        world: World) -> None:
    aggregator = world.aggregator(3)
    p0, p1, p2 = (world.participants[n] for n in ("p0", "p1", "p2"))
    addresses = [p.address for p in (p0, p1, p2)]
    world.deliver(aggregator.submit_round(dict(zip(addresses, UNITS, strict=True))))
    good = aggregator.state()
    purse = follow_money(world, aggregator)

    # The attacker: round 2 takes 60 of p1's 201 units away (and gives p0 some); its receipts carry no history.
    bad = forged_round(good, {addresses[0]: 150, addresses[1]: 141})
    commit_by_hand(world, aggregator, bad)
    aggregator.ctx.store.put_opening(bad)  # the aggregator's engine holds it too: it still cannot answer
    verdict = p1.accept(sign_by_hand(world, aggregator, bad))
    assert verdict.status == "refused" and "would lose units (201 -> 141)" in verdict.reason
    assert verdict.action == "challenging round 2"
    assert p1.may_train() == (False, f"round 2 is invalid: {verdict.reason.split(': ', 1)[1]}")
    for other in (p0, p2):  # every participant checks the whole round, not only its own units
        assert not other.accept(sign_by_hand(world, aggregator, bad)).ok
        assert not other.may_train()[0]

    assert world.tick(p1) == ["challenged round 2"]
    assert world.tick(p0, p2, aggregator) == []  # one challenge per round; nobody can prove the cut valid
    world.warp(world.timing.respond_delay + 1)
    assert world.tick(aggregator, p0, p2) == []
    world.warp(aggregator.refresh().config.terms.response_window)
    assert world.tick(p2) == ["resolved the unanswered challenge of round 2"]
    job = aggregator.refresh()
    unanswered_challenge = "0"  # FaultKind.UnansweredChallenge
    assert (job.faults, job.tip, job.challenges[2].status) == (
        [(unanswered_challenge, 2, 1)], 1, DisputeStatus.UNANSWERED)

    settle(world, [p0, p1, p2])
    terms = job.config.terms
    owed = FaultPayout.of(good, terms)
    assert owed.dust > 0
    received = purse.received()
    assert received == {
        "aggregator": 0,
        "p0": owed.shares[addresses[0]],
        "p1": owed.shares[addresses[1]] + owed.reward + owed.dust,  # the challenger: its bond back, rho, the dust
        "p2": owed.shares[addresses[2]],
    }
    assert sum(received.values()) == terms.escrow + terms.bond
    job = p0.refresh()
    assert job.payouts_opened is not None
    assert (job.payouts_opened["recipient"], job.payouts_opened["reward"]) == (p1.address, owed.reward)
    assert [(b.escrow_out, b.bond_out) for b in job.batches.values()] == [(owed.escrow_out, owed.bond_out)]
    assert job.completed == (terms.escrow - owed.escrow_out, terms.bond - owed.reward - owed.bond_out)  # the dust
    assert world.settle.held_of(aggregator.job_id, job.config) == (0, 0, 0)
    report = audited(world, aggregator.job_id, {"createJob": 1, "payout": 1})
    assert (report.faulted, report.tip, report.reward_recipient) == (True, 1, p1.address)


def test_an_equivocating_aggregator_is_proven_with_a_receipt_proof_and_faulted_at_its_tip(world: World) -> None:
    aggregator = world.aggregator(3)
    p0, p1, p2 = (world.participants[n] for n in ("p0", "p1", "p2"))
    addresses = [p.address for p in (p0, p1, p2)]
    world.deliver(aggregator.submit_round(dict(zip(addresses, UNITS, strict=True))))
    first = aggregator.state()
    purse = follow_money(world, aggregator)
    receipts = aggregator.submit_round(dict(zip(addresses, UNITS, strict=True)))
    settled = aggregator.state()

    # The attacker shows p0, signed with the job's key, another round 2 than the one on chain (more units for
    # p0); the others get the engine's receipts.
    world.deliver(receipts, skip={"p0"})
    other = forged_round(first, {addresses[0]: 900, addresses[1]: 402, addresses[2]: 604})
    assert other.commitment != settled.commitment
    verdict = p0.accept(sign_by_hand(world, aggregator, other, history=[first]))
    assert (verdict.status, verdict.action) == ("refused", "proving equivocation with this receipt")
    assert p0.may_train() == (False, "the aggregator signed, for round 2, a commitment other than the chain's")
    assert world.tick(p0) == ["proved equivocation in round 2"]
    job = aggregator.refresh()
    assert job.equivocations == [(2, p0.address, other.commitment, False)]
    assert (job.tip, job.phase, job.faulted) == (2, Phase.FINALIZED, True)  # no rollback: the tip stays

    # p0 holds no opening of the settled round 2: it asks for it on chain (the aggregator answers at once).
    done = settle(world, [aggregator, p0, p1, p2])
    assert done.index("requested the opening of round 2 (no receipt)") < done.index(
        "answered the opening request of round 2") < done.index("opened payouts")
    assert held_state(p0, 2) == settled
    terms = job.config.terms
    owed = FaultPayout.of(settled, terms)
    assert purse.received() == {
        "aggregator": terms.request_fee,
        # the prover is the reward recipient
        "p0": owed.shares[addresses[0]] + owed.reward + owed.dust - terms.request_fee,
        "p1": owed.shares[addresses[1]],
        "p2": owed.shares[addresses[2]],
    }
    proofs = {"createJob": 1, "proveEquivocation": 1, "answerOpening": 1, "payout": 1}
    report = audited(world, aggregator.job_id, proofs)
    assert (report.faulted, report.tip, report.reward_recipient) == (True, 2, p0.address)


def test_an_opening_request_that_the_vanished_aggregator_leaves_unanswered_faults_the_job_at_the_round_before(
        world: World) -> None:
    aggregator = world.aggregator(3)
    p0, p1, p2 = (world.participants[n] for n in ("p0", "p1", "p2"))
    addresses = [p.address for p in (p0, p1, p2)]
    world.deliver(aggregator.submit_round(dict(zip(addresses, UNITS, strict=True))))
    good = aggregator.state()
    purse = follow_money(world, aggregator)
    aggregator.submit_round(dict(zip(addresses, [7, 7, 7], strict=True)))  # committed, then it vanishes

    assert world.tick(p0, p1, p2) == []  # the receipts may still come
    world.warp(world.timing.receipt_grace)
    assert world.tick(p0, p1, p2) == ["requested the opening of round 2 (no receipt)"]
    assert held_state(p1, 2) is None  # nobody but the aggregator holds round 2: nobody can answer
    world.warp(aggregator.refresh().config.terms.response_window + 1)
    assert world.tick(p1, p0, p2) == ["resolved the unanswered request of round 2"]
    job = p0.refresh()
    assert (job.tip, job.requests[2].status, job.faulted) == (1, DisputeStatus.UNANSWERED, True)

    settle(world, [p0, p1, p2])
    terms = job.config.terms
    owed = FaultPayout.of(good, terms)
    assert units_of(good) == dict(zip(addresses, UNITS, strict=True))
    assert purse.received() == {
        "aggregator": 0,
        "p0": owed.shares[addresses[0]] + owed.reward + owed.dust,  # the requester: its fee back, rho, the dust
        "p1": owed.shares[addresses[1]],
        "p2": owed.shares[addresses[2]],
    }
    report = audited(world, aggregator.job_id, {"createJob": 1, "payout": 1})
    assert (report.faulted, report.tip, report.reward_recipient) == (True, 1, p0.address)
