"""The auditor's own Groth16 verifier against real proofs of the committed build, and differentially
against groth16py (the provers' verifier) on the same cases: both accept the honest proofs and both refuse
every flipped public input and every tampered A, B or C. Inputs no verifier may take (out of range, off
the curve, outside G2's subgroup, the wrong count) are refused before any pairing."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from py_ecc import optimized_bn128 as bn

from settlefl.audit import groth16
from settlefl.audit.groth16 import (
    Groth16Verifier,
    Q,
    R,
    VerificationKey,
    VerificationKeyError,
    key_matches_solidity,
    proof_from_solidity,
)
from settlefl.circuits.manifest import Manifest
from settlefl.circuits.prover import Groth16Proof, JobContext, Proved, Prover
from settlefl.circuits.spec import Circuit
from settlefl.crypto import eddsa
from settlefl.state import RewardState, RoundUpdate, job_domain, job_id, round_salt
from tests.audit.conftest import BUILD

AGGREGATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SUBMITTER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KEY = bytes.fromhex("0e" * 32)


@pytest.fixture(scope="module")
def prover() -> Prover:
    return Prover(BUILD)


@pytest.fixture(scope="module")
def proofs(prover: Prover) -> dict[Circuit, Proved]:
    """One honest proof per circuit (groth16py backend; each is checked by groth16py before it returns)."""
    job = job_id(AGGREGATOR, 0)
    domain = job_domain(31337, CONTRACT, job)
    ctx = JobContext(31337, CONTRACT, job)
    genesis = RewardState.genesis(prover.params, domain, 10**9, [0x1000 + i for i in range(18)])
    first = genesis.apply_round(RoundUpdate(rows=[(i, 5 + i) for i in range(18)]), round_salt(9, domain, 1))
    signature = eddsa.sign(KEY, first.commitment)
    return {
        Circuit.OPENING: prover.prove_opening(genesis, ctx, AGGREGATOR),
        Circuit.TRANSITION: prover.prove_transition(genesis, first, SUBMITTER),
        Circuit.RECEIPT: prover.prove_receipt(first, signature, eddsa.public_key(KEY), SUBMITTER),
        Circuit.PAYOUT: prover.prove_payout(first, 1, ctx, SUBMITTER),
    }


@pytest.fixture(scope="module")
def verifiers() -> dict[Circuit, Groth16Verifier]:
    manifest = Manifest.load(BUILD)
    return {c: Groth16Verifier(VerificationKey.load(manifest.path(BUILD, c, "vkey"))) for c in Circuit}


def _add_g1(point: tuple[int, int]) -> tuple[int, int]:
    """``point + G1``: another valid point, so only the pairing can tell."""
    moved = bn.normalize(bn.add((bn.FQ(point[0]), bn.FQ(point[1]), bn.FQ(1)), bn.G1))
    return int(moved[0].n), int(moved[1].n)


def _add_g2(b: tuple[tuple[int, int], tuple[int, int]]) -> tuple[tuple[int, int], tuple[int, int]]:
    point = (bn.FQ2(list(b[0])), bn.FQ2(list(b[1])), bn.FQ2.one())
    x, y = bn.normalize(bn.add(point, bn.G2))
    return (int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1]))


def _twist_point_outside_the_subgroup() -> tuple[tuple[int, int], tuple[int, int]]:
    """A point on the twisted curve y^2 = x^3 + 3/(9+u) that is not in G2 (square roots in Fq2, q = 3 mod 4)."""
    for x0 in range(1, 100):
        x = bn.FQ2([x0, 1])
        a = x**3 + bn.b2
        a1 = a ** ((Q - 3) // 4)
        alpha = a1 * a1 * a
        a0 = alpha ** Q * alpha
        if a0 == -bn.FQ2.one():
            continue  # not a square
        x_0 = a1 * a
        y = bn.FQ2([0, 1]) * x_0 if alpha == -bn.FQ2.one() else (bn.FQ2.one() + alpha) ** ((Q - 1) // 2) * x_0
        assert y * y == a
        point = (x, y, bn.FQ2.one())
        if not bn.is_inf(bn.multiply(point, R)):
            return (int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1]))
    raise AssertionError("no point found")


def test_the_verifier_imports_nothing_of_the_provers_backends() -> None:
    tree = ast.parse(Path(groth16.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {m for m in imported if m.split(".")[0] in ("groth16py", "subprocess")}
    assert not {m for m in imported if m.startswith("settlefl.circuits") and m != "settlefl.circuits.prover"}


@pytest.mark.slow
@pytest.mark.parametrize("circuit", list(Circuit))
def test_the_honest_proof_verifies_and_every_flipped_public_input_is_refused_as_groth16py_refuses_it(
        prover: Prover, proofs: dict[Circuit, Proved], verifiers: dict[Circuit, Groth16Verifier],
        circuit: Circuit) -> None:
    proved = proofs[circuit]
    verdict = verifiers[circuit].check(proved.proof, proved.public_inputs)
    assert verdict.ok, verdict.reason
    assert prover.verify(circuit, proved.proof, proved.public_inputs)
    for index in range(len(proved.public_inputs)):
        flipped = list(proved.public_inputs)
        flipped[index] = (flipped[index] + 1) % R
        ours = verifiers[circuit].check(proved.proof, flipped)
        assert (ours.ok, prover.verify(circuit, proved.proof, flipped)) == (False, False), f"input {index}"
        assert ours.reason == "the pairing equation does not hold"


@pytest.mark.slow
@pytest.mark.parametrize("part", ["A", "B", "C"])
def test_a_tampered_proof_point_is_refused_as_groth16py_refuses_it(
        prover: Prover, proofs: dict[Circuit, Proved], verifiers: dict[Circuit, Groth16Verifier], part: str) -> None:
    proved = proofs[Circuit.TRANSITION]
    p = proved.proof
    tampered = {
        "A": Groth16Proof(_add_g1(p.a), p.b, p.c),
        "B": Groth16Proof(p.a, _add_g2(p.b), p.c),
        "C": Groth16Proof(p.a, p.b, _add_g1(p.c)),
    }[part]
    ours = verifiers[Circuit.TRANSITION].check(tampered, proved.public_inputs)
    assert not ours.ok and ours.reason == "the pairing equation does not hold"
    assert not prover.verify(Circuit.TRANSITION, tampered, proved.public_inputs)


def test_a_public_input_at_or_above_r_is_refused_although_it_aliases_the_true_one(
        proofs: dict[Circuit, Proved], verifiers: dict[Circuit, Groth16Verifier]) -> None:
    proved = proofs[Circuit.TRANSITION]
    aliased = list(proved.public_inputs)
    aliased[2] += R  # the same scalar mod r: an unchecked verifier would accept it
    verdict = verifiers[Circuit.TRANSITION].check(proved.proof, aliased)
    assert not verdict.ok and "public input 2 is not an element of the scalar field" in verdict.reason


def test_the_wrong_number_of_public_inputs_is_refused(
        proofs: dict[Circuit, Proved], verifiers: dict[Circuit, Groth16Verifier]) -> None:
    proved = proofs[Circuit.TRANSITION]
    for inputs in (proved.public_inputs[:2], (*proved.public_inputs, 0)):
        verdict = verifiers[Circuit.TRANSITION].check(proved.proof, inputs)
        assert not verdict.ok and "the key takes 3" in verdict.reason


@pytest.mark.parametrize(("part", "expected"), [
    ("A off the curve", "A is invalid: the point is not on the curve y^2 = x^3 + 3"),
    ("C coordinate above q", "C is invalid: a coordinate is not below the base field order q"),
    ("B off the twist", "B is invalid: the point is not on the twisted curve"),
    ("B outside the subgroup", "B is invalid: the point is on the curve but not in the order-r subgroup"),
])
def test_a_proof_point_no_verifier_may_take_is_refused_before_any_pairing(
        proofs: dict[Circuit, Proved], verifiers: dict[Circuit, Groth16Verifier], part: str, expected: str) -> None:
    proved = proofs[Circuit.TRANSITION]
    p = proved.proof
    bad = {
        "A off the curve": Groth16Proof((1, 1), p.b, p.c),
        "C coordinate above q": Groth16Proof(p.a, p.b, (p.c[0] + Q, p.c[1])),
        "B off the twist": Groth16Proof(p.a, ((1, 0), (1, 0)), p.c),
        "B outside the subgroup": Groth16Proof(p.a, _twist_point_outside_the_subgroup(), p.c),
    }[part]
    verdict = verifiers[Circuit.TRANSITION].check(bad, proved.public_inputs)
    assert (verdict.ok, verdict.reason) == (False, expected)


def test_a_key_without_a_phase_two_contribution_is_refused() -> None:
    data = json.loads((BUILD / "transition" / "transition.vkey.json").read_text())
    data["vk_delta_2"] = data["vk_gamma_2"]
    with pytest.raises(VerificationKeyError, match="gamma equals delta"):
        VerificationKey.from_snarkjs(data)


def test_a_key_with_a_point_off_the_curve_is_refused() -> None:
    data = json.loads((BUILD / "opening" / "opening.vkey.json").read_text())
    data["IC"][1][1] = str(int(data["IC"][1][1]) + 1)
    with pytest.raises(VerificationKeyError, match=r"IC\[1\]: the point is not on the curve"):
        VerificationKey.from_snarkjs(data)


def test_each_key_matches_its_solidity_verifier_and_a_changed_constant_is_named(
        verifiers: dict[Circuit, Groth16Verifier]) -> None:
    manifest = Manifest.load(BUILD)
    for circuit, verifier in verifiers.items():
        source = manifest.path(BUILD, circuit, "verifier").read_text()
        assert key_matches_solidity(verifier.vk, source) == [], circuit
    source = manifest.path(BUILD, Circuit.RECEIPT, "verifier").read_text()
    delta = str(verifiers[Circuit.RECEIPT].vk.solidity_constants()["deltax1"])
    assert key_matches_solidity(verifiers[Circuit.RECEIPT].vk, source.replace(delta, "1")) == ["deltax1"]


def test_a_proof_read_from_calldata_is_the_proof_snarkjs_made(proofs: dict[Circuit, Proved]) -> None:
    proof = proofs[Circuit.PAYOUT].proof
    assert proof_from_solidity(*proof.solidity()) == proof
