"""Opening: the header and words open C and equal the contract's vector bound by (x, y); nothing else
does."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import opening_inputs
from settlefl.compression import OPENING_HEADER, Challenge, opening_challenge
from settlefl.state import RewardState, pack_word
from settlefl.testvectors import AGGREGATOR, CHAIN_ID, CONTRACT
from tests.circuits.conftest import DOMAIN, JOB, Witness, assert_refused
from tests.circuits.sealing import seal_opening

AT = ("Opening", "opening.circom")


def contract_challenge(commitment: int, header: Mapping[str, int], words: list[int]) -> Challenge:
    """The ``(x, y)`` the contract derives for ``C`` and its vector (its header values, then the words)."""
    return opening_challenge(
        chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=AGGREGATOR, commitment=commitment,
        domain=header["domain"], round_number=header["r"], n=header["n"], total=header["total"],
        max_units=header["maxUnits"], salt=header["salt"], words=words,
    )


def honest(state: RewardState) -> dict[str, Any]:
    words = list(state.words[: state.n])
    header = {"domain": state.domain, "r": state.round, "n": state.n, "total": state.total,
              "maxUnits": state.max_units, "salt": state.salt}
    return opening_inputs(state, contract_challenge(state.commitment, header, words))


@pytest.mark.parametrize("r", [0, 1, 3])
def test_the_opening_of_an_honest_state_is_accepted(
    states: list[RewardState], witness: Witness, tmp_path: Path, r: int
) -> None:
    assert witness.check(Circuit.OPENING, honest(states[r]), tmp_path) is None


@pytest.mark.slow
def test_changing_any_single_word_alone_breaks_the_opening(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # A full state (n = N) so that every position is a used slot; C and y stay those of the honest
    # words, one word at a time changes: every one of the N positions must be bound by hW.
    params = states[0].params
    full = RewardState.genesis(params, DOMAIN, 10**12, [0x2000 + i for i in range(params.participants)])
    base = honest(full)
    cheats = []
    for position in range(params.participants):
        cheat = dict(base, words=list(base["words"]))
        cheat["words"][position] += 1
        cheats.append(cheat)
    for position, error in enumerate(witness.check_many(Circuit.OPENING, cheats, tmp_path)):
        assert error is not None, f"position {position} is not bound"
        assert error.template == "Opening", error.raw


def test_an_opening_whose_words_differ_from_the_calldata_words_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states[1])
    calldata = list(cheat["words"][: states[1].n])
    calldata[2] = pack_word(0xBAD, 1)
    cheat = seal_opening(cheat, calldata=calldata)
    assert_refused(witness.check(Circuit.OPENING, cheat, tmp_path), "Opening", (*AT, "y === evaluated;"))


@pytest.mark.slow
@pytest.mark.parametrize("field", OPENING_HEADER)
def test_a_header_field_other_than_the_contracts_is_refused_by_y_even_when_sealed_into_c(
    states: list[RewardState], witness: Witness, tmp_path: Path, field: str
) -> None:
    # The aggregator commits to a header with one field changed (n one larger still leaves every word
    # past it zero) and opens that C honestly; the contract hashes its own header into x.
    state = states[1]
    words = list(state.words[: state.n])
    cheat = honest(state)
    contract_header = {name: cheat[name] for name in OPENING_HEADER}
    cheat[field] += 1
    cheat = seal_opening(cheat)
    assert witness.check(Circuit.OPENING, cheat, tmp_path) is None, "the cheat breaks more than the header"
    contract = contract_challenge(cheat["C"], contract_header, words)
    cheat.update(x=contract.x, y=contract.y)
    assert_refused(witness.check(Circuit.OPENING, cheat, tmp_path), "Opening", (*AT, "y === evaluated;"))


def test_an_opening_of_another_domain_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states[1])
    cheat["domain"] += 1
    assert_refused(witness.check(Circuit.OPENING, cheat, tmp_path), "Opening", (*AT, "C === opened;"))


def test_an_opening_with_another_round_number_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states[1])
    cheat["r"] = 2
    assert_refused(witness.check(Circuit.OPENING, cheat, tmp_path), "Opening", (*AT, "C === opened;"))


def test_a_non_zero_word_past_n_is_refused_even_when_sealed_into_c(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states[0])
    cheat["words"][30] = 0x51B1  # a hidden participant
    cheat = seal_opening(cheat, calldata=cheat["words"])
    assert_refused(witness.check(Circuit.OPENING, cheat, tmp_path), "ZeroPast",
                   (*AT, "ZeroPast(N)(words, pos.past);"))


@pytest.mark.parametrize("n", [33, 2**100])
def test_an_n_beyond_the_build_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path, n: int) -> None:
    cheat = seal_opening(dict(honest(states[0]), n=n))
    assert_refused(witness.check(Circuit.OPENING, cheat, tmp_path), "OneHot")
