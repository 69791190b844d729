"""Receipt: only a real signature by the job's key over a round-r commitment of this job is accepted."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import receipt_inputs
from settlefl.crypto import FIELD_MODULUS, eddsa
from settlefl.crypto import babyjubjub as bjj
from settlefl.crypto.poseidon import poseidon
from settlefl.state import RewardState
from tests.circuits.conftest import RESPONDER, Witness, assert_refused

R = ("Receipt", "receipt.circom")
KEY = bytes.fromhex("0c" * 32)
OTHER = bytes.fromhex("0d" * 32)
ORDER_TWO = (0, FIELD_MODULUS - 1)


def honest(state: RewardState, key: bytes = KEY) -> dict[str, Any]:
    return receipt_inputs(state, eddsa.sign(key, state.commitment), eddsa.public_key(key), RESPONDER)


def test_a_real_receipt_is_accepted(states, witness: Witness, tmp_path: Path) -> None:
    assert witness.check(Circuit.RECEIPT, honest(states[2]), tmp_path) is None


def test_a_receipt_signed_by_another_key_is_refused(states, witness, tmp_path) -> None:
    cheat = honest(states[2], OTHER)
    cheat["pubHash"] = honest(states[2])["pubHash"]  # the job's key hash
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "Receipt", (*R, "pubHash === keyHash;"))


def test_a_signature_over_another_commitment_is_refused(states, witness, tmp_path) -> None:
    cheat = honest(states[2])
    other = eddsa.sign(KEY, states[1].commitment)
    cheat.update(R8x=other.r8x, R8y=other.r8y, S=other.s)
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "ForceEqualIfEnabled")


def test_s_plus_the_subgroup_order_is_refused(states, witness, tmp_path) -> None:
    cheat = honest(states[2])
    cheat["S"] += bjj.SUBGROUP_ORDER
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "EdDSAPoseidonVerifier")


def test_a_small_order_r8_is_refused(states, witness, tmp_path) -> None:
    cheat = honest(states[2])
    cheat["R8x"], cheat["R8y"] = ORDER_TWO
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "ForceEqualIfEnabled")


@pytest.mark.parametrize("which", ["R8", "A"])
def test_an_off_curve_r8_or_key_is_refused(states, witness, tmp_path, which: str) -> None:
    cheat = honest(states[2])
    cheat[f"{which}y"] += 1
    cheat["pubHash"] = poseidon([cheat["Ax"], cheat["Ay"]])  # the key hash follows the (bad) key
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "BabyCheck")


def test_a_small_order_key_that_accepts_any_message_is_refused(states, witness, tmp_path) -> None:
    # With 8A = 0 the equation is S * Base8 == R8: anyone could forge for such a key.
    s = random.Random(3).randrange(bjj.SUBGROUP_ORDER)
    r8 = bjj.mul(bjj.BASE8, s)
    cheat = honest(states[2])
    cheat.update(Ax=ORDER_TWO[0], Ay=ORDER_TWO[1], R8x=r8[0], R8y=r8[1], S=s, pubHash=poseidon(list(ORDER_TWO)))
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "EdDSAPoseidonVerifier")


@pytest.mark.parametrize("field", ["domain", "r"])
def test_a_receipt_for_another_job_or_round_is_refused(states, witness, tmp_path, field: str) -> None:
    cheat = honest(states[2])
    cheat[field] += 1
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "Receipt", (*R, "C === opened;"))
