"""Both prover backends produce proofs that verify; any other public input, sender or words fail;
invalid requests are refused by name before any circuit runs; the published vectors hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settlefl.circuits.prover import BACKENDS, JobContext, Proved, Prover
from settlefl.circuits.spec import SPECS, Circuit
from settlefl.circuits.witness import PayoutError, opening_inputs
from settlefl.compression import Challenge, opening_challenge, payout_challenge
from settlefl.crypto import FIELD_MODULUS, eddsa
from settlefl.state import InvalidRound, RewardState
from settlefl.testvectors import VECTORS_PATH, generate
from tests.circuits.conftest import AGGREGATOR, CHAIN_ID, CONTRACT, JOB, RESPONDER, Witness, build_dir

CTX = JobContext(CHAIN_ID, CONTRACT, JOB)
KEY = bytes.fromhex("0e" * 32)
OTHER_SENDER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


@pytest.fixture(scope="module")
def provers() -> dict[str, Prover]:
    return {backend: Prover.load(build_dir(), backend) for backend in BACKENDS}


@pytest.fixture(scope="module")
def proofs(provers: dict[str, Prover], states: list[RewardState]) -> dict[tuple[str, Circuit], Proved]:
    out = {}
    for backend, prover in provers.items():
        out[backend, Circuit.OPENING] = prover.prove_opening(states[0], CTX, AGGREGATOR)
        out[backend, Circuit.TRANSITION] = prover.prove_transition(states[1], states[2], RESPONDER)
        signature = eddsa.sign(KEY, states[2].commitment)
        out[backend, Circuit.RECEIPT] = prover.prove_receipt(states[2], signature, eddsa.public_key(KEY), RESPONDER)
        out[backend, Circuit.PAYOUT] = prover.prove_payout(states[3], 1, CTX, RESPONDER)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("circuit", list(Circuit))
def test_both_backends_prove_every_circuit_and_the_proof_verifies(
    provers, proofs, backend: str, circuit: Circuit
) -> None:
    proved = proofs[backend, circuit]
    assert len(proved.public_inputs) == len(SPECS[circuit].public_inputs)
    assert provers[backend].verify(circuit, proved.proof, proved.public_inputs)
    other = "snarkjs" if backend == "groth16py" else "groth16py"
    assert proofs[other, circuit].public_inputs == proved.public_inputs


@pytest.mark.parametrize("circuit", list(Circuit))
def test_every_public_input_flipped_in_turn_makes_the_proof_fail(provers, proofs, circuit: Circuit) -> None:
    prover, proved = provers["groth16py"], proofs["groth16py", circuit]
    for index, name in enumerate(SPECS[circuit].public_inputs):
        flipped = list(proved.public_inputs)
        flipped[index] = (flipped[index] + 1) % FIELD_MODULUS
        assert not prover.verify(circuit, proved.proof, flipped), f"{circuit.value}: {name} is not bound"


@pytest.mark.parametrize("circuit", [Circuit.TRANSITION, Circuit.RECEIPT])
def test_a_response_or_receipt_proof_replayed_by_another_sender_fails(provers, proofs, circuit: Circuit) -> None:
    proved = proofs["groth16py", circuit]
    signals = list(proved.public_inputs)
    signals[SPECS[circuit].public_inputs.index("sender")] = int(OTHER_SENDER, 16)
    assert not provers["groth16py"].verify(circuit, proved.proof, signals)


def test_an_opening_or_payout_proof_replayed_by_another_sender_fails(provers, proofs, states) -> None:
    # The sender is hashed into x, so another sender's contract call derives another (x, y).
    state = states[0]
    words = list(state.words[: state.n])
    x, y = _xy(opening_challenge(chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=OTHER_SENDER,
                                 commitment=state.commitment, domain=state.domain, round_number=0, n=state.n,
                                 total=0, max_units=state.max_units, salt=0, words=words))
    proved = proofs["groth16py", Circuit.OPENING]
    assert not provers["groth16py"].verify(Circuit.OPENING, proved.proof, [*proved.public_inputs[:7], x, y])
    state = states[3]
    payout = proofs["groth16py", Circuit.PAYOUT]
    x, y = _xy(payout_challenge(chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=OTHER_SENDER,
                                commitment=state.commitment, domain=state.domain, round_number=3, n=state.n,
                                total=state.total, batch=1, words=list(payout.words)))
    assert not provers["groth16py"].verify(Circuit.PAYOUT, payout.proof, [*payout.public_inputs[:6], x, y])


def _xy(challenge: Challenge) -> tuple[int, int]:
    return challenge.x, challenge.y


def test_proving_an_invalid_round_names_the_participant_and_the_rule(provers, states) -> None:
    prev, new = states[1], states[2]
    lowered = list(new.words)
    lowered[5] -= 2**160  # participant in slot 5 loses a unit
    bad = RewardState(new.params, new.domain, new.max_units, new.round, tuple(lowered), new.n, new.total - 1,
                      new.salt)
    with pytest.raises(InvalidRound, match=r"\(slot 5\) would lose units"):
        provers["groth16py"].prove_transition(prev, bad, RESPONDER)


def test_proving_an_empty_batch_is_refused_before_any_circuit_runs(provers, states) -> None:
    small = RewardState.genesis(states[0].params, states[0].domain, 10**12, [0x4000 + i for i in range(3)])
    with pytest.raises(PayoutError, match="batch 1 starts at slot 16, past the 3 used slots"):
        provers["groth16py"].prove_payout(small, 1, CTX, RESPONDER)


def test_the_published_vectors_are_reproduced_by_the_library() -> None:
    assert json.loads(VECTORS_PATH.read_text()) == generate()


def test_the_published_genesis_opening_is_accepted_by_the_circuit(witness: Witness, tmp_path: Path) -> None:
    vectors = json.loads(VECTORS_PATH.read_text())
    genesis = vectors["genesis"]
    from settlefl.params import BuildParams

    params = BuildParams.from_name(vectors["build"])
    words = tuple(int(w) for w in genesis["words"])
    state = RewardState(params, int(vectors["domain"]), int(genesis["maxUnits"]), 0, words, genesis["n"], 0, 0)
    assert state.commitment == int(genesis["commitment"])
    challenge = Challenge(int(vectors["openingChallenge"]["x"]), int(vectors["openingChallenge"]["y"]))
    assert witness.check(Circuit.OPENING, opening_inputs(state, challenge), tmp_path) is None
