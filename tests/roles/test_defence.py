"""Valid rounds defended by the role engines: frivolous challenges answered (by the aggregator, or by a
participant while the aggregator is offline), a withheld receipt replaced by an answered opening request,
and the aggregator's signing log that refuses to sign two commitments for one round.

Every job here settles cleanly: each payee gets its units at the unit price, whoever answered a dispute
gets the disputer's bond or fee, and the aggregator gets the unused escrow and its bond back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from settlefl.chain.projection import DisputeStatus
from settlefl.roles.participant import held_state
from settlefl.roles.store import Equivocation, RoleStore
from tests.roles.conftest import World, new_account
from tests.roles.disputes import audited, challenge_by_hand, follow_money, settle

pytestmark = pytest.mark.slow

UNITS = [100, 201, 302]


def _clean_payouts(escrow: int, bond: int, unit_price: int, earned: dict[str, int]) -> dict[str, int]:
    """Each payee's units at the unit price; the aggregator's unused escrow and its bond back."""
    paid = {name: units * unit_price for name, units in earned.items()}
    return {"aggregator": escrow - sum(paid.values()) + bond, **paid}


def test_a_frivolous_challenge_is_answered_at_once_by_the_aggregator_who_takes_the_challengers_bond(
        world: World) -> None:
    aggregator = world.aggregator(3)
    names = ["p0", "p1", "p2"]
    addresses = [world.participants[n].address for n in names]
    stranger = new_account(world.chain)
    for _ in range(2):
        world.deliver(aggregator.submit_round(dict(zip(addresses, UNITS, strict=True))))
    purse = follow_money(world, aggregator, stranger=stranger.address)

    challenge_by_hand(world, stranger, aggregator, 2)
    assert world.tick(*world.participants.values()) == []  # participants leave the aggregator its respond_delay
    assert world.tick(aggregator) == ["answered the challenge of round 2"]
    job = aggregator.refresh()
    assert (job.challenges[2].status, job.challenges[2].answered_by) == (DisputeStatus.ANSWERED, aggregator.address)
    world.warp(world.timing.respond_delay + 1)
    assert world.tick(*world.participants.values()) == []  # nothing left to answer

    aggregator.finish()
    settle(world, [aggregator, *world.participants.values()])
    terms = job.config.terms
    expected = _clean_payouts(terms.escrow, terms.bond, terms.unit_price,
                              {n: 2 * u for n, u in zip(names, UNITS, strict=True)})
    expected["aggregator"] += terms.challenger_bond
    assert purse.received() == {**expected, "stranger": -terms.challenger_bond}
    audited(world, aggregator.job_id, {"createJob": 1, "respond": 1, "payout": 1})


def test_with_the_aggregator_offline_a_participant_answers_a_frivolous_challenge_after_its_delay_and_takes_the_bond(
        world: World) -> None:
    aggregator = world.aggregator(3)
    names = ["p0", "p1", "p2"]
    participants = [world.participants[n] for n in names]
    addresses = [p.address for p in participants]
    stranger = new_account(world.chain)
    for _ in range(2):
        world.deliver(aggregator.submit_round(dict(zip(addresses, UNITS, strict=True))))
    purse = follow_money(world, aggregator, stranger=stranger.address)
    # From here on the aggregator is offline: its engine is never ticked again.

    challenge_by_hand(world, stranger, aggregator, 2)
    assert world.tick(*participants) == []
    world.warp(world.timing.respond_delay // 2)
    assert world.tick(*participants) == []  # still the aggregator's turn
    world.warp(world.timing.respond_delay // 2 + 1)
    assert world.tick(p1 := participants[1], participants[0], participants[2]) == ["answered the challenge of round 2"]
    job = p1.refresh()
    assert (job.challenges[2].status, job.challenges[2].answered_by) == (DisputeStatus.ANSWERED, p1.address)

    # Nobody finalizes for the vanished aggregator until its inactivity timeout; then a participant does.
    done = settle(world, participants)
    assert done.count("finalized the abandoned job") == 1
    terms = job.config.terms
    expected = _clean_payouts(terms.escrow, terms.bond, terms.unit_price,
                              {n: 2 * u for n, u in zip(names, UNITS, strict=True)})
    expected["p1"] += terms.challenger_bond
    assert purse.received() == {**expected, "stranger": -terms.challenger_bond}
    audited(world, aggregator.job_id, {"createJob": 1, "respond": 1, "payout": 1})


def test_a_withheld_receipt_is_replaced_by_an_opening_request_the_aggregator_answers_and_the_job_carries_on(
        world: World) -> None:
    aggregator = world.aggregator(3)
    names = ["p0", "p1", "p2"]
    p0 = world.participants["p0"]
    addresses = [world.participants[n].address for n in names]
    world.deliver(aggregator.submit_round(dict(zip(addresses, UNITS, strict=True))))
    purse = follow_money(world, aggregator)

    world.deliver(aggregator.submit_round(dict(zip(addresses, UNITS, strict=True))), skip={"p0"})
    assert world.tick(p0) == []  # within receipt_grace the receipt may still come
    world.warp(world.timing.receipt_grace)
    assert world.tick(p0) == ["requested the opening of round 2 (no receipt)"]
    assert world.tick(aggregator) == ["answered the opening request of round 2"]
    assert world.tick(p0) == []  # the answered opening follows round 1: nothing to act on
    assert held_state(p0, 2) == aggregator.state()
    assert p0.may_train() == (True, "")

    world.deliver(aggregator.submit_round(dict(zip(addresses, UNITS, strict=True))))  # p0 accepts round 3
    aggregator.finish()
    settle(world, [aggregator, *world.participants.values()])
    terms = aggregator.refresh().config.terms
    expected = _clean_payouts(terms.escrow, terms.bond, terms.unit_price,
                              {n: 3 * u for n, u in zip(names, UNITS, strict=True)})
    expected["aggregator"] += terms.request_fee
    expected["p0"] -= terms.request_fee
    assert purse.received() == expected
    audited(world, aggregator.job_id, {"createJob": 1, "answerOpening": 1, "payout": 1})


def test_the_signing_log_refuses_a_second_commitment_for_a_round_even_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "aggregator.sqlite"
    store = RoleStore(path)
    store.log_signature(3, 1111)
    store.log_signature(3, 1111)  # the same commitment again (a resumed signing) is fine
    with pytest.raises(Equivocation, match="round 3 was already signed with another commitment"):
        store.log_signature(3, 2222)
    store.close()
    reopened = RoleStore(path)
    with pytest.raises(Equivocation):
        reopened.log_signature(3, 2222)
    assert reopened.signed(3) == 1111
    reopened.log_signature(4, 2222)  # other rounds are untouched
    assert reopened.signed(4) == 2222
