"""Payout: a batch proof binds exactly the committed header and words of a non-empty, existing batch."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import PayoutError, payout_inputs, payout_words, raw_payout_inputs
from settlefl.compression import PAYOUT_HEADER, Challenge, evaluate, payout_challenge
from settlefl.params import UNITS_SHIFT
from settlefl.state import RewardState, block_hashes, commitment, words_hash
from settlefl.testvectors import CHAIN_ID, CONTRACT
from tests.circuits.conftest import JOB, RESPONDER, Witness, assert_refused
from tests.circuits.sealing import seal_payout, vector

PY = ("Payout", "payout.circom")


def contract_challenge(commitment: int, header: Mapping[str, int], words: list[int]) -> Challenge:
    """The ``(x, y)`` the contract derives for ``C`` and its vector (its header values, then the words)."""
    return payout_challenge(
        chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=RESPONDER, commitment=commitment,
        domain=header["domain"], round_number=header["r"], n=header["n"], total=header["total"],
        batch=header["batch"], words=words,
    )


def honest(state: RewardState, batch: int) -> dict[str, Any]:
    header = {"domain": state.domain, "r": state.round, "n": state.n, "total": state.total, "batch": batch}
    return payout_inputs(state, batch, contract_challenge(state.commitment, header, payout_words(state, batch)))


@pytest.mark.parametrize("batch", [0, 1])
def test_every_batch_of_an_honest_state_is_accepted(
    states: list[RewardState], witness: Witness, tmp_path: Path, batch: int
) -> None:
    assert witness.check(Circuit.PAYOUT, honest(states[3], batch), tmp_path) is None


def test_an_altered_word_with_the_honest_y_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states[3], 0)
    cheat["words"][3] += 5 * UNITS_SHIFT
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Payout", (*PY, "C === opened;"))


def test_an_altered_word_with_a_matching_y_is_refused_by_the_commitment(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states[3], 1)
    cheat["words"][0] += UNITS_SHIFT  # one more unit for the first payee of batch 1
    cheat["y"] = evaluate(vector(cheat, PAYOUT_HEADER, cheat["words"]), cheat["x"])
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Payout", (*PY, "C === opened;"))


@pytest.mark.slow
@pytest.mark.parametrize("field", [name for name in PAYOUT_HEADER if name != "batch"])
def test_a_header_field_other_than_the_contracts_is_refused_by_y_even_when_sealed_into_c(
    states: list[RewardState], witness: Witness, tmp_path: Path, field: str
) -> None:
    # The aggregator commits to a header with one field changed (n one larger still leaves every word
    # past it zero) and opens that C honestly; the contract hashes its own header into x.
    state = states[3]
    cheat = honest(state, 1)
    contract_header = {name: cheat[name] for name in PAYOUT_HEADER}
    cheat[field] += 1
    cheat = seal_payout(cheat, list(state.words))
    assert witness.check(Circuit.PAYOUT, cheat, tmp_path) is None, "the cheat breaks more than the header"
    contract = contract_challenge(cheat["C"], contract_header, cheat["words"])
    cheat.update(x=contract.x, y=contract.y)
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Payout", (*PY, "y === evaluated;"))


def test_a_batch_number_other_than_the_contracts_is_refused_by_y_even_when_both_batches_hold_the_same_words(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # A committed state whose two batches hold identical words (Payout checks no addresses): proving
    # batch 0 where the contract pays batch 1 changes nothing in V but the batch number itself.
    state = states[3]
    params = state.params
    half = list(state.words[: params.batch])
    full = half + half
    n, total = params.participants, 2 * sum(w // UNITS_SHIFT for w in half)
    c = commitment(state.domain, state.round, n, total, state.max_units, words_hash(full), state.salt)
    contract = contract_challenge(c, {"domain": state.domain, "r": state.round, "n": n, "total": total, "batch": 1},
                                  full[params.batch :])

    def proving(batch: int, challenge: Challenge) -> dict[str, Any]:
        return raw_payout_inputs(
            commitment=c, domain=state.domain, round_number=state.round, n=n, total=total,
            max_units=state.max_units, salt=state.salt, words=full, batch=batch, batch_size=params.batch,
            challenge=challenge,
        )

    assert witness.check(Circuit.PAYOUT, proving(1, contract), tmp_path) is None, "the honest batch 1 is refused"
    cheat = proving(0, contract)
    assert cheat["words"] == proving(1, contract)["words"] and cheat["blockHashes"] == block_hashes(full)
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Payout", (*PY, "y === evaluated;"))


def test_a_batch_past_n_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    # Round 0 has 18 used slots: batch 1 starts at 16 (fine); a state with 16 has an empty batch 1.
    small = states[0].params
    state = RewardState.genesis(small, states[0].domain, 10**12, [0x3000 + i for i in range(16)])
    with pytest.raises(PayoutError, match="past the 16 used slots"):
        payout_words(state, 1)
    cheat = honest(state, 0)
    cheat["batch"] = 1
    cheat = seal_payout(cheat, list(state.words))
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Num2Bits", (*PY, "RangeCheck(NBITS)(m - 1);"))


def test_a_batch_past_the_last_batch_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    with pytest.raises(PayoutError, match="does not exist"):
        payout_words(states[3], 2)
    cheat = dict(honest(states[3], 1), batch=2)
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "OneHot")


def test_a_non_zero_word_past_n_inside_the_batch_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    state = states[0]  # n = 18: slots 18..31 of batch 1 must be zero
    full = list(state.words)
    full[20] = 0x51B1 + 9 * UNITS_SHIFT
    cheat = seal_payout(honest(state, 1), full)
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Payout", (*PY, "words[k] * prefix === 0;"))


def test_an_n_beyond_the_build_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = dict(honest(states[3], 1), n=33)
    cheat = seal_payout(cheat, list(states[3].words))
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Num2Bits", (*PY, "RangeCheck(NBITS)(N - n);"))
