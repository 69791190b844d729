"""The round rules: every valid round keeps the invariants, every invalid row is refused by name."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settlefl.params import UNITS_SHIFT, BuildParams
from settlefl.state import (
    InvalidRound,
    InvalidState,
    Join,
    RewardState,
    RoundUpdate,
    address_to_int,
    int_to_address,
    pack_word,
    unpack_word,
)

PARAMS = BuildParams(participants=32, batch=16, row_bits=8, max_joins=4)
DOMAIN = 123456789
ALICE, BOB, CAROL = (int_to_address(v) for v in (0xA11CE, 0xB0B, 0xCA201))


def genesis(max_units: int = 10_000, addresses: tuple[str, ...] = (ALICE, BOB)) -> RewardState:
    return RewardState.genesis(PARAMS, DOMAIN, max_units, addresses)


addresses = st.integers(min_value=1, max_value=2**160 - 1)


@st.composite
def rounds(draw: st.DrawFn, state: RewardState) -> RoundUpdate:
    slots = draw(st.lists(st.integers(0, state.n - 1), unique=True, max_size=state.n))
    rows = [(s, draw(st.integers(0, 2**PARAMS.row_bits - 1))) for s in slots]
    room = min(PARAMS.max_joins, PARAMS.participants - state.n)
    existing = {a for a, _ in state.participants()}
    joining = draw(st.lists(addresses.filter(lambda a: a not in existing), unique=True, max_size=room))
    joins = [Join(a, draw(st.integers(0, 2**PARAMS.row_bits - 1))) for a in joining]
    return RoundUpdate(rows, joins)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_rounds_keep_every_invariant_and_can_be_recovered_from_the_two_states(data: st.DataObject) -> None:
    state = genesis(max_units=2**40)
    for salt in range(1, 4):
        update = data.draw(rounds(state))
        successor = state.apply_round(update, salt)
        assert successor.round == state.round + 1
        assert successor.total == sum(u for _, u in successor.participants()) <= successor.max_units
        assert successor.n == state.n + len(update.joins)
        pairs = zip(state.participants(), successor.participants(), strict=False)
        for (old_addr, old_units), (new_addr, new_units) in pairs:
            assert new_addr == old_addr and new_units >= old_units
        assert all(w < 2**253 for w in successor.words)
        assert all(w == 0 for w in successor.words[successor.n :])
        recovered = state.update_to(successor)
        assert state.apply_round(recovered, salt).words == successor.words
        state = successor


@settings(max_examples=60, deadline=None)
@given(address=addresses, units=st.integers(0, 2**93 - 1))
def test_packing_a_word_is_canonical_and_unpacks_to_its_parts(address: int, units: int) -> None:
    word = pack_word(address, units)
    assert word < 2**253
    assert unpack_word(word) == (address, units)


@settings(max_examples=30, deadline=None)
@given(over=st.integers(1, 2**20))
def test_a_round_above_the_budget_is_refused_with_the_remaining_budget(over: int) -> None:
    state = genesis(max_units=200)
    with pytest.raises(InvalidRound, match="only 200 remain"):
        state.apply_round(RoundUpdate([(0, 100), (1, 100 + min(over, 155))]), 1)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (RoundUpdate([(0, -1)]), rf"{ALICE} \(slot 0\): units -1 are negative"),
        (RoundUpdate([(1, 256)]), rf"{BOB} \(slot 1\): units 256 are at or above 2\^8"),
        (RoundUpdate([(2, 1)]), "unknown slot 2: the state has 2 participants"),
        (RoundUpdate([(0, 1), (0, 2)]), rf"{ALICE} \(slot 0\) has two rows"),
        (RoundUpdate(joins=[Join(0x1 + i) for i in range(5)]), "5 participants join this round; .* at most J = 4"),
        (RoundUpdate(joins=[Join(0)]), "joining participant #0: the zero address cannot be a payee"),
        (RoundUpdate(joins=[Join(2**160)]), "joining participant #0: .* is not below 2\\^160"),
        (RoundUpdate(joins=[Join(CAROL, 300)]), rf"{CAROL} \(slot 2\): units 300 are at or above 2\^8"),
    ],
)
def test_an_invalid_row_is_refused_with_a_message_naming_the_participant_and_the_rule(
    update: RoundUpdate, message: str
) -> None:
    with pytest.raises(InvalidRound, match=message):
        genesis().apply_round(update, 1)


# Duplicate payees used to be refused by the round rule itself (here, and so by update_to). The Transition
# circuit accepts them, so an honest client refusing them would challenge a provable round and lose its
# bond (issue 9): they are now only the aggregator's policy (apply_round's default), never a refusal of
# the checking path (update_to).
@pytest.mark.parametrize(
    ("joins", "message"),
    [
        ([Join(ALICE, 3)], rf"{ALICE} \(slot 0\) is already in the job"),
        ([Join(CAROL, 1), Join(CAROL, 2)], f"{CAROL} is listed twice"),
        ([Join(BOB), Join(CAROL), Join(BOB, 9)], f"{BOB} \\(slot 1\\) is already in the job"),
    ],
)
def test_duplicate_payees_are_the_aggregators_policy_and_every_check_accepts_them(
    joins: list[Join], message: str
) -> None:
    start = genesis().apply_round(RoundUpdate([(0, 10)]), 1)
    with pytest.raises(InvalidRound, match=message):
        start.apply_round(RoundUpdate(joins=joins), 2)  # the aggregator's default: refuse
    successor = start.apply_round(RoundUpdate([(1, 4)], joins), 2, allow_duplicate_payees=True)
    assert successor.n == 2 + len(joins)
    assert successor.total == start.total + 4 + sum(j.units for j in joins)
    recovered = start.update_to(successor)  # a participant's check accepts what the circuit accepts
    assert recovered.joins == [Join(address_to_int(j.address), j.units) for j in joins]
    assert start.apply_round(recovered, 2, allow_duplicate_payees=True) == successor
    # and a later round over a state holding a payee twice is checked as any other
    later = successor.apply_round(RoundUpdate([(0, 1), (successor.n - 1, 2)]), 3)
    assert successor.update_to(later).rows == [(0, 1), (successor.n - 1, 2)]


def test_a_genesis_listing_a_payee_twice_is_refused_only_by_policy() -> None:
    with pytest.raises(InvalidState, match="listed twice"):
        genesis(addresses=(ALICE, BOB, ALICE))
    state = RewardState.genesis(PARAMS, DOMAIN, 10_000, (ALICE, BOB, ALICE), allow_duplicate_payees=True)
    assert [a for a, _ in state.participants()] == [0xA11CE, 0xB0B, 0xA11CE]
    assert state.update_to(state.apply_round(RoundUpdate([(2, 5)]), 1)).rows == [(2, 5)]


def test_a_round_at_2_to_the_32_is_refused_as_the_circuit_refuses_it() -> None:
    last = RewardState(PARAMS, DOMAIN, 10_000, 2**32 - 2, genesis().words, 2, 0, 1)
    top = last.apply_round(RoundUpdate([(0, 1)]), 2)
    assert last.update_to(top).rows == [(0, 1)]
    with pytest.raises(InvalidRound, match="round 4294967296 is at or above 2\\^32"):
        top.apply_round(RoundUpdate(), 3)
    beyond = RewardState(PARAMS, DOMAIN, 10_000, 2**32, top.words, 2, 1, 3)
    with pytest.raises(InvalidRound, match="round 4294967296 is at or above 2\\^32"):
        top.update_to(beyond)


def test_joins_past_the_build_capacity_are_refused() -> None:
    state = RewardState.genesis(PARAMS, DOMAIN, 100, [int_to_address(i) for i in range(1, 31)])
    with pytest.raises(InvalidRound, match="past N = 32"):
        state.apply_round(RoundUpdate(joins=[Join(0xF001), Join(0xF002), Join(0xF003)]), 1)


def test_a_successor_that_lowers_units_or_swaps_an_address_is_not_a_valid_round() -> None:
    start = genesis().apply_round(RoundUpdate([(0, 10), (1, 5)]), 1)
    lowered = list(start.words)
    lowered[0] -= UNITS_SHIFT
    fake = RewardState(PARAMS, DOMAIN, start.max_units, 2, tuple(lowered), 2, start.total - 1, 2)
    with pytest.raises(InvalidRound, match=rf"{ALICE} \(slot 0\) would lose units \(10 -> 9\)"):
        start.update_to(fake)
    swapped = list(start.words)
    swapped[1] = pack_word(CAROL, 5)
    fake = RewardState(PARAMS, DOMAIN, start.max_units, 2, tuple(swapped), 2, start.total, 2)
    with pytest.raises(InvalidRound, match=f"was replaced by {CAROL}"):
        start.update_to(fake)


def test_a_successor_from_another_job_or_round_is_refused() -> None:
    start = genesis()
    other_job = RewardState.genesis(PARAMS, DOMAIN + 1, 10_000, (ALICE, BOB)).apply_round(RoundUpdate(), 1)
    with pytest.raises(InvalidRound, match="different jobs"):
        start.update_to(other_job)
    two_ahead = start.apply_round(RoundUpdate(), 1).apply_round(RoundUpdate(), 2)
    with pytest.raises(InvalidRound, match="round 2 does not follow round 0"):
        start.update_to(two_ahead)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda w: w.__setitem__(5, 1), "slot 5 is past n = 2 but its word is not zero"),
        (lambda w: w.__setitem__(0, 7 * UNITS_SHIFT), "slot 0 is used .* zero address"),
        (lambda w: w.__setitem__(0, 2**253), r"not an integer in \[0, 2\^253\)"),
    ],
)
def test_unreachable_states_are_refused(mutate: object, message: str) -> None:
    words = list(genesis().words)
    mutate(words)  # type: ignore[operator]
    with pytest.raises((InvalidState, ValueError), match=message):
        RewardState(PARAMS, DOMAIN, 10_000, 1, tuple(words), 2, 0 if words[0] < 2**160 else 7, 1)


def test_a_total_that_disagrees_with_the_units_is_refused() -> None:
    state = genesis().apply_round(RoundUpdate([(0, 3)]), 1)
    with pytest.raises(InvalidState, match="total = 4 but the participants' units add up to 3"):
        RewardState(PARAMS, DOMAIN, 10_000, 1, state.words, 2, 4, 1)


@pytest.mark.parametrize("max_units", [0, 2**93])
def test_max_units_must_be_positive_and_below_2_to_the_93(max_units: int) -> None:
    with pytest.raises(InvalidState, match="maxUnits"):
        genesis(max_units=max_units)


def test_a_genesis_without_participants_is_refused() -> None:
    with pytest.raises(InvalidState, match="at least one participant"):
        genesis(addresses=())
