"""Transition: honest rounds are accepted; every cheat of docs/threats.md is refused by the constraint
that guards it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import pack_round_and_sender, sender_int, transition_inputs
from settlefl.params import UNITS_SHIFT
from settlefl.state import Join, RewardState, RoundUpdate
from settlefl.testvectors import AGGREGATOR
from tests.circuits.conftest import RESPONDER, Witness, assert_refused
from tests.circuits.sealing import P, seal_transition

T = ("Transition", "transition.circom")


def at(snippet: str) -> tuple[str, str, str]:
    return (*T, snippet)


def honest(states: list[RewardState], r: int = 2) -> dict[str, Any]:
    return transition_inputs(states[r - 1], states[r], RESPONDER)


@pytest.mark.parametrize("r", [1, 2, 3])
def test_every_honest_round_is_accepted(states: list[RewardState], witness: Witness, tmp_path: Path, r: int) -> None:
    assert witness.check(Circuit.TRANSITION, honest(states, r), tmp_path) is None


@pytest.mark.parametrize("repeat", ["an existing payee", "a payee listed twice among the joins"])
def test_a_round_holding_a_payee_twice_is_proven_and_the_check_accepts_it(
    states: list[RewardState], witness: Witness, tmp_path: Path, repeat: str
) -> None:
    # The circuit accepts one payee in two slots; the check must too (issue 9), or an honest client would
    # challenge a provable round, or could not build the response to a challenge of it.
    prev = states[2]
    again = prev.participants()[3][0] if repeat == "an existing payee" else 0xF00D
    joins = [Join(again, 4), Join(0xF00D, 6)]
    new = prev.apply_round(RoundUpdate([(0, 1)], joins), 77, allow_duplicate_payees=True)
    assert witness.check(Circuit.TRANSITION, transition_inputs(prev, new, RESPONDER), tmp_path) is None


def test_units_that_decrease_are_refused_by_the_row_range_check(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states)
    cheat["v"][0] = P - 1  # "minus one unit", as a field element
    error = witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path)
    assert_refused(error, "Num2Bits", at("RangeCheck(K)(v[i]);"))


def test_a_row_of_2_to_the_k_units_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states)
    cheat["v"][4] = 2**32
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Num2Bits",
                   at("RangeCheck(K)(v[i]);"))


def test_a_total_above_max_units_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states)
    cheat["maxUnits"] = states[2].total - 1
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Num2Bits",
                   at("RangeCheck(93)(maxUnits - totalNew);"))


def test_a_new_total_at_2_to_the_93_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states)
    cheat["totalPrev"] = 2**93 - 1  # itself in range; one more unit crosses 2^93
    cheat["maxUnits"] = 2**94
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Num2Bits",
                   at("RangeCheck(93)(totalNew);"))


def test_a_previous_total_at_2_to_the_93_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states)
    cheat["totalPrev"] = 2**93
    cheat["maxUnits"] = 2**95
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Num2Bits",
                   at("RangeCheck(93)(totalPrev);"))


@pytest.mark.parametrize("change", ["replaced", "removed", "moved"])
def test_an_address_replaced_removed_or_moved_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path, change: str
) -> None:
    cheat = honest(states)
    w0, w1 = (w % UNITS_SHIFT for w in cheat["wordsPrev"][:2])
    if change == "replaced":
        cheat["addr"][0] = (0xBAD - w0) % P
    elif change == "removed":
        cheat["addr"][0] = (-w0) % P
    else:
        cheat["addr"][0], cheat["addr"][1] = (w1 - w0) % P, (w0 - w1) % P
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Transition",
                   at("addr[i] * (1 - prevPos.past[i] + newPos.past[i]) === 0;"))


def test_dropping_the_last_participant_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states)
    cheat["nNew"] = cheat["nPrev"] - 1
    last = cheat["nPrev"] - 1
    cheat["addr"][last] = (-(cheat["wordsPrev"][last] % UNITS_SHIFT)) % P
    cheat["v"][last] = 0
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Num2Bits",
                   at("RangeCheck(5)(count);"))


def test_more_than_j_joins_are_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states, 3)
    extra = cheat["nNew"]
    cheat["nNew"] += 1
    cheat["addr"][extra] = 0xE1
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Num2Bits",
                   at("RangeCheck(5)(J - count);"))


def test_a_join_into_a_used_slot_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states)
    cheat["addr"][cheat["nPrev"] - 1] = 0xE1  # lands on the last used slot
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Transition",
                   at("addr[i] * (1 - prevPos.past[i] + newPos.past[i]) === 0;"))


def test_understating_n_to_join_over_a_used_slot_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states)
    cheat["nPrev"] -= 1  # the last used word now sits "past n"
    cheat["nNew"] = cheat["nPrev"] + 1
    cheat["addr"][cheat["nPrev"]] = 0xE1
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "ZeroPast",
                   at("ZeroPast(N)(wordsPrev, prevPos.past);"))


@pytest.mark.parametrize(("address", "template", "snippet"), [
    (0, "JoinChecks", "joins[j] * isZero[j] === 0;"),
    (2**160, "Num2Bits", "RangeCheck(160)(candidate[j]);"),
    (P - 1, "Num2Bits", "RangeCheck(160)(candidate[j]);"),
])
def test_a_joined_address_of_zero_or_at_least_2_to_the_160_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path, address: int, template: str, snippet: str
) -> None:
    cheat = honest(states, 3)
    slot = cheat["nPrev"] + 1  # the second join of round 3
    cheat["addr"][slot] = address
    error = witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path)
    assert_refused(error, template, ("JoinChecks", "lib/joins.circom", snippet))


@pytest.mark.parametrize("n", [33, 2**64, P - 1])
def test_n_beyond_n_max_or_huge_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path, n: int) -> None:
    cheat = honest(states)
    cheat["nNew"] = n
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "OneHot")


def test_a_non_zero_previous_word_past_n_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states)
    cheat["wordsPrev"][25] = 1 + UNITS_SHIFT * 5
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "ZeroPast",
                   at("ZeroPast(N)(wordsPrev, prevPos.past);"))


def test_a_row_past_the_new_n_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states)
    cheat["v"][30] = 3
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "ZeroPast",
                   at("ZeroPast(N)(v, newPos.past);"))


@pytest.mark.parametrize("seal", [
    {"new_domain": 12345}, {"new_max_units": 10**12 + 1}, {"new_round": 3},
])
def test_a_new_state_of_another_domain_max_units_or_round_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path, seal: dict[str, int]
) -> None:
    cheat = seal_transition(honest(states), **seal)
    assert_refused(witness.check(Circuit.TRANSITION, cheat, tmp_path), "Transition", at("C_new === openedNew;"))


def test_a_previous_state_of_another_round_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states)
    cheat["r"] = 3  # claims round 2 -> 3 with the openings of rounds 1 -> 2
    cheat["rs"] = pack_round_and_sender(3, RESPONDER)  # as the contract packs round 3
    cheat = dict(cheat, C_prev=honest(states)["C_prev"], C_new=honest(states)["C_new"])
    assert_refused(witness.check(Circuit.TRANSITION, cheat, tmp_path), "Transition", at("C_prev === openedPrev;"))


def test_a_first_round_whose_previous_total_is_not_zero_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states, 1)
    cheat["totalPrev"] = 50
    assert_refused(witness.check(Circuit.TRANSITION, seal_transition(cheat), tmp_path), "Transition",
                   at("firstRound * totalPrev === 0;"))


# --- rs = sender + 2^160 * r: one decomposition only -------------------------------------------------------


def test_a_sender_of_2_to_the_160_or_more_with_a_compensating_round_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # rs of round 3 read as round 2 by a "sender" 2^160 larger: both states sealed as rounds 1 -> 2, so
    # only the sender range check stands between this witness and a proof of another round.
    cheat = honest(states, 3)
    cheat["r"] -= 1
    cheat["sender"] += 1 << 160
    assert cheat["sender"] + (cheat["r"] << 160) == cheat["rs"]
    cheat = seal_transition(cheat)
    fair = dict(cheat, sender=sender_int(RESPONDER), rs=pack_round_and_sender(2, RESPONDER))
    assert witness.check(Circuit.TRANSITION, fair, tmp_path) is None, "the cheat breaks more than the packing"
    assert_refused(witness.check(Circuit.TRANSITION, cheat, tmp_path), "Num2Bits", at("RangeCheck(160)(sender);"))


def test_a_round_of_2_to_the_32_or_more_with_a_compensating_sender_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # sender + 1 in range, r' = r - 2^-160 (mod p): the same rs, a round far above 2^32.
    cheat = honest(states, 3)
    cheat["sender"] += 1
    cheat["r"] = (cheat["r"] - pow(1 << 160, -1, P)) % P
    assert cheat["r"] >= 1 << 32 and (cheat["sender"] + (cheat["r"] << 160)) % P == cheat["rs"]
    cheat = seal_transition(cheat)
    assert_refused(witness.check(Circuit.TRANSITION, cheat, tmp_path), "Num2Bits", at("RangeCheck(32)(r);"))


def test_a_response_whose_sender_is_not_the_one_packed_in_rs_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states)
    cheat["sender"] = sender_int(AGGREGATOR)  # rs still names the responder
    assert_refused(witness.check(Circuit.TRANSITION, cheat, tmp_path), "Transition", at("rs === sender + UNIT * r;"))


def test_a_response_whose_round_is_not_the_one_packed_in_rs_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states, 3)
    cheat["r"] = 2  # both states sealed as rounds 1 -> 2, rs still says round 3
    cheat = seal_transition(cheat)
    assert_refused(witness.check(Circuit.TRANSITION, cheat, tmp_path), "Transition", at("rs === sender + UNIT * r;"))
