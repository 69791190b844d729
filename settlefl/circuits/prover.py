"""Groth16 provers for the four circuits behind one interface, with two backends.

* ``snarkjs``: ``snarkjs groth16 prove`` in a node subprocess (the reference implementation);
* ``groth16py``: arkworks through PyPI ``groth16py``, importing the build's snarkjs zkey (2-3x faster).

Both prove from a witness computed by the circuit's own wasm generator, and every proof is verified
against the build's verification key before it is returned: groth16py returns an invalid proof without
an error when a witness is wrong, and nothing invalid may reach a chain. Requests that break a protocol
rule are refused before any circuit runs, with the rule and the participant named.

Usage::

    prover = Prover(build_dir, backend="groth16py")
    ctx = JobContext(chain_id, contract, job_id)
    genesis = prover.prove_opening(state, ctx, sender=aggregator)      # .proof .public_inputs .words
    step = prover.prove_transition(prev, new, sender=responder)       # .proof .public_inputs
    batch = prover.prove_payout(state, 0, ctx, sender=submitter)      # .proof .public_inputs .words
    a, b, c = step.proof.solidity()
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from settlefl.circuits.manifest import ArtifactKind, Manifest
from settlefl.circuits.spec import SPECS, Circuit
from settlefl.circuits.toolchain import CircuitsError, Toolchain
from settlefl.circuits.witness import (
    Inputs,
    WitnessCalculator,
    WitnessJob,
    opening_inputs,
    payout_inputs,
    payout_words,
    public_inputs,
    receipt_inputs,
    transition_inputs,
)
from settlefl.compression import opening_challenge, payout_challenge
from settlefl.crypto import eddsa
from settlefl.crypto.babyjubjub import Point
from settlefl.errors import BadFile, InputError, ProofError
from settlefl.state.reward_state import RewardState

__all__ = ["BACKENDS", "Backend", "Groth16Proof", "JobContext", "ProofError", "Proved", "Prover"]

log = logging.getLogger(__name__)

Backend = Literal["groth16py", "snarkjs"]
BACKENDS: tuple[Backend, ...] = ("groth16py", "snarkjs")


@dataclass(frozen=True)
class Groth16Proof:
    """A Groth16 proof in snarkjs coordinates: ``b`` is ``[[x0, x1], [y0, y1]]`` (x = x0 + x1 u)."""

    a: tuple[int, int]
    b: tuple[tuple[int, int], tuple[int, int]]
    c: tuple[int, int]

    @classmethod
    def from_snarkjs(cls, proof: dict[str, Any]) -> Groth16Proof:
        a, b, c = proof["pi_a"], proof["pi_b"], proof["pi_c"]
        return cls(
            (int(a[0]), int(a[1])),
            ((int(b[0][0]), int(b[0][1])), (int(b[1][0]), int(b[1][1]))),
            (int(c[0]), int(c[1])),
        )

    @classmethod
    def from_solidity_bytes(cls, blob: bytes) -> Groth16Proof:
        """From the 256-byte ``abi.encode(a, b, c)`` blob (Solidity order: Fp2 pairs swapped)."""
        if len(blob) != 256:
            raise ProofError(f"a Groth16 proof blob is 256 bytes, got {len(blob)}")
        w = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, 256, 32)]
        return cls((w[0], w[1]), ((w[3], w[2]), (w[5], w[4])), (w[6], w[7]))

    def solidity(self) -> tuple[tuple[int, int], tuple[tuple[int, int], tuple[int, int]], tuple[int, int]]:
        """``(a, b, c)`` for a snarkjs Solidity verifier: the two Fp2 pairs of ``b`` are swapped."""
        (b00, b01), (b10, b11) = self.b
        return self.a, ((b01, b00), (b11, b10)), self.c

    def to_snarkjs(self) -> dict[str, Any]:
        return {
            "pi_a": [str(self.a[0]), str(self.a[1]), "1"],
            "pi_b": [[str(self.b[0][0]), str(self.b[0][1])], [str(self.b[1][0]), str(self.b[1][1])], ["1", "0"]],
            "pi_c": [str(self.c[0]), str(self.c[1]), "1"],
            "protocol": "groth16",
            "curve": "bn128",
        }


@dataclass(frozen=True)
class Proved:
    """A verified proof with its public inputs (verifier order) and, for compressed circuits, the
    calldata words that ``(x, y)`` bind."""

    circuit: Circuit
    proof: Groth16Proof
    public_inputs: tuple[int, ...]
    words: tuple[int, ...] = ()
    seconds: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class JobContext:
    """What a compressed proof binds besides the state: the chain, the contract and the job."""

    chain_id: int
    contract: str
    job_id: bytes


class Prover:
    """Proves statements about reward states with one circuit build and one backend."""

    def __init__(self, build_dir: Path, backend: Backend = "groth16py") -> None:
        if backend not in BACKENDS:
            raise InputError(f"unknown prover backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.build_dir = Path(build_dir)
        self.manifest = Manifest.load(self.build_dir)
        self.params = self.manifest.params
        self.backend = backend
        self._toolchain = Toolchain()
        self._witness = WitnessCalculator(self._toolchain)
        self._keys: dict[Circuit, Any] = {}
        self._verifiers: dict[Circuit, Any] = {}

    # ------------------------------------------------------------------ statements

    def prove_opening(self, state: RewardState, ctx: JobContext, sender: str) -> Proved:
        """Opening of ``state`` (genesis at creation, or an answer to an opening request)."""
        self._check_params(state)
        words = list(state.words[: state.n])
        challenge = opening_challenge(
            chain_id=ctx.chain_id, contract=ctx.contract, job_id=ctx.job_id, sender=sender,
            commitment=state.commitment, domain=state.domain, round_number=state.round, n=state.n,
            total=state.total, max_units=state.max_units, salt=state.salt, words=words,
        )
        return self.prove(Circuit.OPENING, opening_inputs(state, challenge), words=words)

    def prove_transition(self, prev: RewardState, new: RewardState, sender: str | int) -> Proved:
        """Transition from round ``r-1`` to round ``r`` (a response to a challenge, or a CP commit)."""
        self._check_params(prev)
        return self.prove(Circuit.TRANSITION, transition_inputs(prev, new, sender))

    def prove_receipt(
        self, state: RewardState, signature: eddsa.Signature, public_key: Point, sender: str | int
    ) -> Proved:
        """A receipt: ``state``'s commitment signed by ``public_key`` (to prove equivocation)."""
        return self.prove(Circuit.RECEIPT, receipt_inputs(state, signature, public_key, sender))

    def prove_payout(self, state: RewardState, batch: int, ctx: JobContext, sender: str) -> Proved:
        """Payout batch ``batch`` of the settled state ``state``."""
        self._check_params(state)
        words = payout_words(state, batch)
        challenge = payout_challenge(
            chain_id=ctx.chain_id, contract=ctx.contract, job_id=ctx.job_id, sender=sender,
            commitment=state.commitment, domain=state.domain, round_number=state.round, n=state.n,
            total=state.total, batch=batch, words=words,
        )
        return self.prove(Circuit.PAYOUT, payout_inputs(state, batch, challenge), words=words)

    # ------------------------------------------------------------------ the generic path

    def prove(self, circuit: Circuit, inputs: Inputs, words: list[int] | None = None) -> Proved:
        """Witness, prove, verify. Raises ``WitnessRuleError`` or :class:`ProofError`, never returns
        an unverified proof."""
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"settlefl-{circuit.value}-") as tmp:
            wtns = Path(tmp) / "witness.wtns"
            self._witness.calculate(WitnessJob(circuit.value, self._path(circuit, "wasm"), inputs, wtns))
            proof = self._prove_witness(circuit, wtns, Path(tmp))
        signals = public_inputs(inputs, SPECS[circuit].public_inputs)
        if not self.verify(circuit, proof, signals):
            raise ProofError(
                f"the {self.backend} {circuit.value} proof does not verify against the build's key; "
                "the witness breaks a rule the generator did not catch (this is a bug: please report it)"
            )
        seconds = time.perf_counter() - started
        log.info("%s proof (%s) in %.2f s", circuit.value, self.backend, seconds)
        return Proved(circuit, proof, tuple(signals), tuple(words or ()), seconds)

    def check_witness(self, circuit: Circuit, inputs: Inputs) -> None:
        """Run only the circuit's witness generator: raises ``WitnessRuleError`` naming the broken rule.

        Clients run the Receipt circuit on every receipt they accept (a Python check looser than the
        circuit would accept receipts that can never be proven), without paying for a proof.
        """
        with tempfile.TemporaryDirectory(prefix=f"settlefl-{circuit.value}-check-") as tmp:
            self._witness.calculate(WitnessJob(circuit.value, self._path(circuit, "wasm"), inputs,
                                               Path(tmp) / "witness.wtns"))

    def verify(self, circuit: Circuit, proof: Groth16Proof, signals: list[int] | tuple[int, ...]) -> bool:
        """Check a proof against the build's verification key (in-process, arkworks)."""
        verifier = self._verifiers.get(circuit)
        if verifier is None:
            import groth16py

            vk = groth16py.VerifyingKey.from_snarkjs_file(str(self._path(circuit, "vkey")))
            verifier = self._verifiers[circuit] = groth16py.Verifier(vk)
        return bool(verifier.verify_snarkjs(json.dumps(proof.to_snarkjs()), json.dumps([str(s) for s in signals])))

    def _prove_witness(self, circuit: Circuit, wtns: Path, tmp: Path) -> Groth16Proof:
        if self.backend == "groth16py":
            import groth16py

            try:
                key = self._keys.get(circuit)
                if key is None:
                    key, _ = groth16py.import_zkey(str(self._path(circuit, "zkey")))
                    self._keys[circuit] = key
                return Groth16Proof.from_solidity_bytes(bytes(groth16py.prove_wtns(key, str(wtns))))
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException (a BaseException)
                raise ProofError(f"groth16py failed on the {circuit.value} circuit: {exc}") from exc
        proof_json, public_json = tmp / "proof.json", tmp / "public.json"
        try:
            self._toolchain.snarkjs(["groth16", "prove", self._path(circuit, "zkey"), wtns, proof_json, public_json])
        except CircuitsError as exc:
            raise ProofError(str(exc)) from exc
        return Groth16Proof.from_snarkjs(json.loads(proof_json.read_text()))

    def _path(self, circuit: Circuit, kind: ArtifactKind) -> Path:
        """A build file the proof needs; a missing one is a :class:`BadFile`, never a failed constraint."""
        path = self.manifest.path(self.build_dir, circuit, kind)
        if not path.is_file():
            raise BadFile(
                path, f"the build's {circuit.value} {kind} file does not exist",
                f"run `settlefl circuits materialize {self.build_dir}` (compiles r1cs and wasm) or restore the build",
            )
        return path

    def _check_params(self, state: RewardState) -> None:
        if state.params != self.params:
            raise ProofError(f"the state is for build {state.params.name}, this prover has {self.params.name}")

