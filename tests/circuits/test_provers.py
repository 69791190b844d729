"""Both prover backends produce proofs that verify; any other public input, sender or words fail;
invalid requests are refused by name before any circuit runs; the published vectors hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settlefl.circuits.prover import BACKENDS, JobContext, Proved, Prover
from settlefl.circuits.spec import SPECS, Circuit
from settlefl.circuits.witness import PayoutError, opening_inputs, pack_round_and_sender
from settlefl.compression import OPENING_HEADER, PAYOUT_HEADER, Challenge, opening_challenge, payout_challenge
from settlefl.crypto import FIELD_MODULUS, eddsa
from settlefl.errors import BadFile
from settlefl.state import InvalidRound, RewardState
from settlefl.testvectors import AGGREGATOR, CHAIN_ID, CONTRACT, generate
from tests.circuits.conftest import JOB, RESPONDER, Witness, build_dir

CTX = JobContext(CHAIN_ID, CONTRACT, JOB)
KEY = bytes.fromhex("0e" * 32)
OTHER_SENDER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
#: The published vectors (written by scripts/make_vectors.py).
VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "protocol.json"


@pytest.fixture(scope="module")
def provers() -> dict[str, Prover]:
    return {backend: Prover(build_dir(), backend) for backend in BACKENDS}


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


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("circuit", list(Circuit))
def test_both_backends_prove_every_circuit_and_the_proof_verifies(
    provers: dict[str, Prover], proofs: dict[tuple[str, Circuit], Proved], backend: str, circuit: Circuit
) -> None:
    proved = proofs[backend, circuit]
    assert len(proved.public_inputs) == len(SPECS[circuit].public_inputs)
    assert provers[backend].verify(circuit, proved.proof, proved.public_inputs)
    other = "snarkjs" if backend == "groth16py" else "groth16py"
    assert proofs[other, circuit].public_inputs == proved.public_inputs


@pytest.mark.slow
@pytest.mark.parametrize("circuit", list(Circuit))
def test_every_public_input_flipped_in_turn_makes_the_proof_fail(
    provers: dict[str, Prover], proofs: dict[tuple[str, Circuit], Proved], circuit: Circuit
) -> None:
    prover, proved = provers["groth16py"], proofs["groth16py", circuit]
    for index, name in enumerate(SPECS[circuit].public_inputs):
        flipped = list(proved.public_inputs)
        flipped[index] = (flipped[index] + 1) % FIELD_MODULUS
        assert not prover.verify(circuit, proved.proof, flipped), f"{circuit.value}: {name} is not bound"


@pytest.mark.slow
@pytest.mark.parametrize(("circuit", "round_number"), [(Circuit.TRANSITION, 2), (Circuit.RECEIPT, 2)])
def test_a_response_or_receipt_proof_replayed_by_another_sender_or_for_another_round_fails(
    provers: dict[str, Prover], proofs: dict[tuple[str, Circuit], Proved], circuit: Circuit, round_number: int
) -> None:
    proved = proofs["groth16py", circuit]
    at = SPECS[circuit].public_inputs.index("rs")
    assert proved.public_inputs[at] == pack_round_and_sender(round_number, RESPONDER)
    for rs in (pack_round_and_sender(round_number, OTHER_SENDER), pack_round_and_sender(round_number + 1, RESPONDER)):
        signals = list(proved.public_inputs)
        signals[at] = rs
        assert not provers["groth16py"].verify(circuit, proved.proof, signals)


def _opening(state: RewardState, sender: str, **changed: int) -> Challenge:
    header = {"domain": state.domain, "r": state.round, "n": state.n, "total": state.total,
              "maxUnits": state.max_units, "salt": state.salt, **changed}
    return opening_challenge(chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=sender,
                             commitment=state.commitment, domain=header["domain"], round_number=header["r"],
                             n=header["n"], total=header["total"], max_units=header["maxUnits"],
                             salt=header["salt"], words=list(state.words[: state.n]))


def _payout(state: RewardState, words: list[int], sender: str, **changed: int) -> Challenge:
    header = {"domain": state.domain, "r": state.round, "n": state.n, "total": state.total, "batch": 1, **changed}
    return payout_challenge(chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=sender,
                            commitment=state.commitment, domain=header["domain"], round_number=header["r"],
                            n=header["n"], total=header["total"], batch=header["batch"], words=words)


@pytest.mark.slow
def test_an_opening_or_payout_proof_replayed_by_another_sender_fails(
    provers: dict[str, Prover], proofs: dict[tuple[str, Circuit], Proved], states: list[RewardState]
) -> None:
    # The sender is hashed into x, so another sender's contract call derives another (x, y).
    opening, payout = proofs["groth16py", Circuit.OPENING], proofs["groth16py", Circuit.PAYOUT]
    assert opening.public_inputs == (states[0].commitment, *_xy(_opening(states[0], AGGREGATOR)))
    assert payout.public_inputs == (states[3].commitment, *_xy(_payout(states[3], list(payout.words), RESPONDER)))
    other = _opening(states[0], OTHER_SENDER)
    assert not provers["groth16py"].verify(Circuit.OPENING, opening.proof, [states[0].commitment, *_xy(other)])
    other = _payout(states[3], list(payout.words), OTHER_SENDER)
    assert not provers["groth16py"].verify(Circuit.PAYOUT, payout.proof, [states[3].commitment, *_xy(other)])


@pytest.mark.slow
@pytest.mark.parametrize("field", OPENING_HEADER)
def test_an_opening_proof_fails_where_the_contract_vector_has_any_other_header_field(
    provers: dict[str, Prover], proofs: dict[tuple[str, Circuit], Proved], states: list[RewardState], field: str
) -> None:
    state = states[0]
    honest = {"domain": state.domain, "r": state.round, "n": state.n, "total": state.total,
              "maxUnits": state.max_units, "salt": state.salt}
    other = _opening(state, AGGREGATOR, **{field: honest[field] + 1})
    proved = proofs["groth16py", Circuit.OPENING]
    assert not provers["groth16py"].verify(Circuit.OPENING, proved.proof, [state.commitment, *_xy(other)])


@pytest.mark.slow
@pytest.mark.parametrize("field", PAYOUT_HEADER)
def test_a_payout_proof_fails_where_the_contract_vector_has_any_other_header_field(
    provers: dict[str, Prover], proofs: dict[tuple[str, Circuit], Proved], states: list[RewardState], field: str
) -> None:
    state = states[3]
    proved = proofs["groth16py", Circuit.PAYOUT]
    honest = {"domain": state.domain, "r": state.round, "n": state.n, "total": state.total, "batch": 1}
    other = _payout(state, list(proved.words), RESPONDER, **{field: honest[field] - 1})
    assert not provers["groth16py"].verify(Circuit.PAYOUT, proved.proof, [state.commitment, *_xy(other)])


def _xy(challenge: Challenge) -> tuple[int, int]:
    return challenge.x, challenge.y


def test_proving_an_invalid_round_names_the_participant_and_the_rule(
    provers: dict[str, Prover], states: list[RewardState]
) -> None:
    prev, new = states[1], states[2]
    lowered = list(new.words)
    lowered[5] -= 2**160  # participant in slot 5 loses a unit
    bad = RewardState(new.params, new.domain, new.max_units, new.round, tuple(lowered), new.n, new.total - 1,
                      new.salt)
    with pytest.raises(InvalidRound, match=r"\(slot 5\) would lose units"):
        provers["groth16py"].prove_transition(prev, bad, RESPONDER)


def test_proving_an_empty_batch_is_refused_before_any_circuit_runs(
    provers: dict[str, Prover], states: list[RewardState]
) -> None:
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
    words = tuple(int(w) for w in genesis["words"]) + (0,) * (params.participants - genesis["n"])
    state = RewardState(params, int(vectors["domain"]), int(genesis["maxUnits"]), 0, words, genesis["n"], 0, 0)
    assert state.commitment == int(genesis["commitment"])
    challenge = Challenge(int(vectors["openingChallenge"]["x"]), int(vectors["openingChallenge"]["y"]))
    assert witness.check(Circuit.OPENING, opening_inputs(state, challenge), tmp_path) is None


def test_a_build_without_its_wasm_is_reported_as_a_missing_file_not_a_broken_rule(
    states: list[RewardState], tmp_path: Path
) -> None:
    (tmp_path / "manifest.json").write_bytes((build_dir() / "manifest.json").read_bytes())
    signature = eddsa.sign(KEY, states[2].commitment)
    with pytest.raises(BadFile, match=r"receipt\.wasm: the build's receipt wasm file does not exist; run `settlefl"):
        Prover(tmp_path).prove_receipt(states[2], signature, eddsa.public_key(KEY), RESPONDER)
