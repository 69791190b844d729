"""Payout: a batch proof binds exactly the committed words of a non-empty, existing batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import PayoutError, payout_inputs, payout_words
from settlefl.compression import payout_challenge
from settlefl.params import UNITS_SHIFT
from settlefl.state import RewardState
from tests.circuits.conftest import CHAIN_ID, CONTRACT, JOB, RESPONDER, Witness, assert_refused
from tests.circuits.sealing import seal_payout

PY = ("Payout", "payout.circom")


def honest(state: RewardState, batch: int) -> dict[str, Any]:
    words = payout_words(state, batch)
    challenge = payout_challenge(
        chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=RESPONDER, commitment=state.commitment,
        domain=state.domain, round_number=state.round, n=state.n, total=state.total, batch=batch, words=words,
    )
    return payout_inputs(state, batch, challenge)


@pytest.mark.parametrize("batch", [0, 1])
def test_every_batch_of_an_honest_state_is_accepted(states, witness: Witness, tmp_path: Path, batch: int) -> None:
    assert witness.check(Circuit.PAYOUT, honest(states[3], batch), tmp_path) is None


def test_an_altered_word_with_the_honest_y_is_refused(states, witness, tmp_path) -> None:
    cheat = honest(states[3], 0)
    cheat["words"][3] += 5 * UNITS_SHIFT
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Payout", (*PY, "C === opened;"))


def test_an_altered_word_with_a_matching_y_is_refused_by_the_commitment(states, witness, tmp_path) -> None:
    from settlefl.compression import evaluate

    cheat = honest(states[3], 1)
    cheat["words"][0] += UNITS_SHIFT  # one more unit for the first payee of batch 1
    cheat["y"] = evaluate(cheat["words"], cheat["x"])
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Payout", (*PY, "C === opened;"))


def test_a_batch_past_n_is_refused(states, witness, tmp_path) -> None:
    # Round 0 has 18 used slots: batch 1 starts at 16 (fine); a state with 16 has an empty batch 1.
    small = states[0].params
    state = RewardState.genesis(small, states[0].domain, 10**12, [0x3000 + i for i in range(16)])
    with pytest.raises(PayoutError, match="past the 16 used slots"):
        payout_words(state, 1)
    cheat = honest(state, 0)
    cheat["batch"] = 1
    cheat = seal_payout(cheat, list(state.words))
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Num2Bits", (*PY, "RangeCheck(NBITS)(m - 1);"))


def test_a_batch_past_the_last_batch_is_refused(states, witness, tmp_path) -> None:
    with pytest.raises(PayoutError, match="does not exist"):
        payout_words(states[3], 2)
    cheat = dict(honest(states[3], 1), batch=2)
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "OneHot")


def test_a_non_zero_word_past_n_inside_the_batch_is_refused(states, witness, tmp_path) -> None:
    state = states[0]  # n = 18: slots 18..31 of batch 1 must be zero
    full = list(state.words)
    full[20] = 0x51B1 + 9 * UNITS_SHIFT
    cheat = seal_payout(honest(state, 1), full)
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Payout", (*PY, "words[k] * prefix === 0;"))


def test_an_n_beyond_the_build_is_refused(states, witness, tmp_path) -> None:
    cheat = dict(honest(states[3], 1), n=33)
    cheat = seal_payout(cheat, list(states[3].words))
    assert_refused(witness.check(Circuit.PAYOUT, cheat, tmp_path), "Num2Bits", (*PY, "RangeCheck(NBITS)(N - n);"))
