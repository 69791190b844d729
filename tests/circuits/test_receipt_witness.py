"""Receipt: only a real signature by the job's key over a round-r commitment of this job is accepted."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import pack_round_and_sender, receipt_inputs, sender_int
from settlefl.crypto import FIELD_MODULUS, eddsa
from settlefl.crypto import babyjubjub as bjj
from settlefl.crypto.poseidon import poseidon
from settlefl.state import RewardState
from settlefl.testvectors import AGGREGATOR
from tests.circuits.conftest import RESPONDER, Witness, assert_refused
from tests.circuits.sealing import seal_receipt

R = ("Receipt", "receipt.circom")
KEY = bytes.fromhex("0c" * 32)
OTHER = bytes.fromhex("0d" * 32)
ORDER_TWO = (0, FIELD_MODULUS - 1)


def honest(state: RewardState, key: bytes = KEY) -> dict[str, Any]:
    return receipt_inputs(state, eddsa.sign(key, state.commitment), eddsa.public_key(key), RESPONDER)


def test_a_real_receipt_is_accepted(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    assert witness.check(Circuit.RECEIPT, honest(states[2]), tmp_path) is None


def test_a_receipt_signed_by_another_key_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states[2], OTHER)
    cheat["pubHash"] = honest(states[2])["pubHash"]  # the job's key hash
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "Receipt", (*R, "pubHash === keyHash;"))


def test_a_signature_over_another_commitment_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states[2])
    other = eddsa.sign(KEY, states[1].commitment)
    cheat.update(R8x=other.r8x, R8y=other.r8y, S=other.s)
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "ForceEqualIfEnabled")


def test_s_plus_the_subgroup_order_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states[2])
    cheat["S"] += bjj.SUBGROUP_ORDER
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "EdDSAPoseidonVerifier")


def test_a_small_order_r8_is_refused(states: list[RewardState], witness: Witness, tmp_path: Path) -> None:
    cheat = honest(states[2])
    cheat["R8x"], cheat["R8y"] = ORDER_TWO
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "ForceEqualIfEnabled")


@pytest.mark.parametrize("which", ["R8", "A"])
def test_an_off_curve_r8_or_key_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path, which: str
) -> None:
    cheat = honest(states[2])
    cheat[f"{which}y"] += 1
    cheat["pubHash"] = poseidon([cheat["Ax"], cheat["Ay"]])  # the key hash follows the (bad) key
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "BabyCheck")


def test_a_small_order_key_that_accepts_any_message_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # With 8A = 0 the equation is S * Base8 == R8: anyone could forge for such a key.
    s = random.Random(3).randrange(bjj.SUBGROUP_ORDER)
    r8 = bjj.mul(bjj.BASE8, s)
    cheat = honest(states[2])
    cheat.update(Ax=ORDER_TWO[0], Ay=ORDER_TWO[1], R8x=r8[0], R8y=r8[1], S=s, pubHash=poseidon(list(ORDER_TWO)))
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "EdDSAPoseidonVerifier")


@pytest.mark.parametrize("field", ["domain", "r"])
def test_a_receipt_for_another_job_or_round_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path, field: str
) -> None:
    cheat = honest(states[2])
    cheat[field] += 1
    cheat["rs"] = pack_round_and_sender(cheat["r"], RESPONDER)  # the claimed round, packed as the contract would
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "Receipt", (*R, "C === opened;"))


# --- rs = sender + 2^160 * r: one decomposition only -------------------------------------------------------


def test_a_sender_of_2_to_the_160_or_more_with_a_compensating_round_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # rs of round 2 read as round 1 by a "sender" 2^160 larger, with a receipt really signed for round 1:
    # only the sender range check stands between this witness and a proof about another round.
    cheat = honest(states[2])
    cheat["r"] -= 1
    cheat["sender"] += 1 << 160
    assert cheat["sender"] + (cheat["r"] << 160) == cheat["rs"]
    cheat = seal_receipt(cheat, KEY)
    fair = dict(cheat, sender=sender_int(RESPONDER), rs=pack_round_and_sender(1, RESPONDER))
    assert witness.check(Circuit.RECEIPT, fair, tmp_path) is None, "the cheat breaks more than the packing"
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "Num2Bits", (*R, "RangeCheck(160)(sender);"))


def test_a_round_of_2_to_the_32_or_more_with_a_compensating_sender_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # sender + 1 in range, r' = r - 2^-160 (mod p): the same rs, a round far above 2^32, signed as such.
    cheat = honest(states[2])
    cheat["sender"] += 1
    cheat["r"] = (cheat["r"] - pow(1 << 160, -1, FIELD_MODULUS)) % FIELD_MODULUS
    assert cheat["r"] >= 1 << 32 and (cheat["sender"] + (cheat["r"] << 160)) % FIELD_MODULUS == cheat["rs"]
    cheat = seal_receipt(cheat, KEY)
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "Num2Bits", (*R, "RangeCheck(32)(r);"))


def test_a_receipt_proof_whose_sender_is_not_the_one_packed_in_rs_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = honest(states[2])
    cheat["sender"] = sender_int(AGGREGATOR)  # rs still names the prover
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "Receipt",
                   (*R, "rs === sender + (1 << 160) * r;"))


def test_a_receipt_whose_round_is_not_the_one_packed_in_rs_is_refused(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    cheat = seal_receipt(dict(honest(states[2]), r=1), KEY)  # a real signature on a round-1 C; rs says 2
    assert_refused(witness.check(Circuit.RECEIPT, cheat, tmp_path), "Receipt",
                   (*R, "rs === sender + (1 << 160) * r;"))
