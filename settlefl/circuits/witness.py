"""Witness inputs for the four circuits, built from Python states, and the witness calculator.

The input builders take protocol objects (states, signatures, challenges) and return the circuit's input
signals by name; they run the Python reference rules first, so an invalid request fails with a message
naming the participant and the rule (``InvalidRound``, ``PayoutError``) before any circuit runs.

:class:`WitnessCalculator` runs the circuits' wasm witness generators (with snarkjs' circom_runtime, one
node process per batch). A witness that breaks a constraint fails there with circom's
``Assert Failed ... Error in template <T> line: <n>``, which :class:`WitnessRuleError` turns into the
rule it guards.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from settlefl.circuits.toolchain import CommandFailed, Toolchain, ToolMissing
from settlefl.compression import Challenge
from settlefl.crypto import eddsa
from settlefl.crypto.babyjubjub import Point
from settlefl.errors import InputError
from settlefl.params import ADDRESS_BITS, ROUND_BITS
from settlefl.settings import ENV_NODE_MODULES
from settlefl.state.commitment import block_hashes
from settlefl.state.reward_state import RewardState
from settlefl.state.words import address_to_int

WITNESS_JS = Path(__file__).resolve().parent / "js" / "witness.cjs"

Inputs = dict[str, Any]


class PayoutError(InputError):
    """A payout batch that cannot be proven for this state (past n, or past the last batch)."""


#: What each template guards, for error messages (the template name is circom's, before ``_<id>``).
RULES = {
    "ZeroPast": "a word or row past n is not zero",
    "RangeCheck": "a value is outside its range (row units below 2^K, totals below 2^93 and within "
                  "maxUnits, joins in [0, J], n within N, the sender below 2^160, the round below 2^32)",
    "OneHot": "a position is out of range (n beyond N, a batch past the last batch, or a bad join offset)",
    "JoinChecks": "a joining participant is not a non-zero address below 2^160 in an empty slot",
    "Transition": "the two states do not open their commitments by one round's rules, or rs is not "
                  "sender + 2^160 * r",
    "Opening": "the header and words do not open the commitment or do not match the calldata vector (x, y)",
    "Payout": "the batch does not open the commitment, is empty, or its header and words do not match the "
              "calldata vector (x, y)",
    "Receipt": "the commitment, the key hash, the signature or rs = sender + 2^160 * r does not match",
    "EdDSAPoseidonVerifier": "the EdDSA signature is invalid (S >= l, small-order key, or wrong equation)",
    "BabyCheck": "a signature point or the key is not on Baby Jubjub",
    "StrictEdDSAPoseidon": "the EdDSA signature is invalid",
    "ForceEqualIfEnabled": "the EdDSA signature equation does not hold",
}

_TEMPLATE = re.compile(r"Error in template (\w+?)_\d+ line: (\d+)")


class WitnessRuleError(InputError):
    """The witness generator refused the inputs: a circuit constraint is broken."""

    def __init__(self, circuit: str, raw: str) -> None:
        self.circuit = circuit
        self.raw = raw
        self.templates = [(m.group(1), int(m.group(2))) for m in _TEMPLATE.finditer(raw)]
        innermost = self.templates[0][0] if self.templates else "?"
        rule = RULES.get(innermost, "a circuit constraint is broken")
        where = " <- ".join(f"{t}:{line}" for t, line in self.templates) or raw.strip()
        super().__init__(f"{circuit}: {rule} (at {where})")

    @property
    def template(self) -> str | None:
        """The innermost template whose constraint failed."""
        return self.templates[0][0] if self.templates else None


def _decimal(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_decimal(v) for v in value]
    return str(int(value))


def sender_int(sender: str | int) -> int:
    """An address as the integer the contract passes (``uint256(uint160(msg.sender))``)."""
    if isinstance(sender, int):
        return sender
    return address_to_int(sender, "sender")


def pack_round_and_sender(round_number: int, sender: str | int) -> int:
    """``rs = sender + 2^160 * r``: the round and the submitter as the one public input of Transition and
    Receipt that carries both (the contract passes ``uint256(uint160(msg.sender)) | (r << 160)``).

    One input instead of two saves about 6.6k gas per verification and loses nothing: the circuits
    range-check ``sender < 2^160`` and ``r < 2^32``, so ``rs < 2^192 < p`` has exactly one decomposition.
    Values outside those ranges are refused here, since no proof could be made for them.
    """
    address = sender_int(sender)
    if isinstance(round_number, bool) or not 0 <= round_number < (1 << ROUND_BITS):
        raise InputError(f"round {round_number!r} is outside [0, 2^{ROUND_BITS}): it cannot be packed into rs")
    if not 0 <= address < (1 << ADDRESS_BITS):
        raise InputError(f"sender {address} is outside [0, 2^{ADDRESS_BITS}): it cannot be packed into rs")
    return address + (round_number << ADDRESS_BITS)


# --------------------------------------------------------------------------- input builders


def opening_inputs(state: RewardState, challenge: Challenge) -> Inputs:
    """Opening: the state's header and all N words (all private), bound by the contract's ``(x, y)``."""
    return {
        "C": state.commitment, "x": challenge.x, "y": challenge.y,
        "domain": state.domain, "r": state.round, "n": state.n, "total": state.total,
        "maxUnits": state.max_units, "salt": state.salt, "words": list(state.words),
    }


def transition_inputs(prev: RewardState, new: RewardState, sender: str | int) -> Inputs:
    """Transition from ``prev`` (round r-1) to ``new`` (round r); refuses an invalid round by name."""
    prev.update_to(new)  # raises InvalidRound naming the participant and the rule
    n_slots = prev.params.participants
    v = [0] * n_slots
    addr = [0] * n_slots
    for slot, (address, units) in enumerate(new.participants()):
        if slot < prev.n:
            v[slot] = units - prev.participants()[slot][1]
        else:
            v[slot], addr[slot] = units, address
    return {
        "C_prev": prev.commitment, "C_new": new.commitment, "rs": pack_round_and_sender(new.round, sender),
        "r": new.round, "sender": sender_int(sender),
        "domain": prev.domain, "maxUnits": prev.max_units, "wordsPrev": list(prev.words),
        "nPrev": prev.n, "totalPrev": prev.total, "saltPrev": prev.salt,
        "v": v, "addr": addr, "nNew": new.n, "saltNew": new.salt,
    }


def receipt_inputs(
    state: RewardState, signature: eddsa.Signature, public_key: Point, sender: str | int
) -> Inputs:
    """Receipt: the signed commitment of ``state``, the signer's key and the signature."""
    if not eddsa.verify(public_key, state.commitment, signature):
        raise InputError("the signature does not verify over this state's commitment with this key")
    return {
        "C": state.commitment, "domain": state.domain, "pubHash": eddsa.public_key_hash(public_key),
        "rs": pack_round_and_sender(state.round, sender), "r": state.round, "sender": sender_int(sender),
        "n": state.n, "total": state.total, "maxUnits": state.max_units, "wordsHash": state.words_hash,
        "salt": state.salt, "Ax": public_key[0], "Ay": public_key[1],
        "R8x": signature.r8x, "R8y": signature.r8y, "S": signature.s,
    }


def batch_words(words: Sequence[int], batch: int, size: int) -> list[int]:
    """Slots ``batch * size`` .. ``batch * size + size - 1`` of a full words vector, zero-padded past its
    end (the last batch of a build may reach past N)."""
    chunk = list(words[batch * size : (batch + 1) * size])
    return chunk + [0] * (size - len(chunk))


def payout_words(state: RewardState, batch: int) -> list[int]:
    """The B calldata words of a batch (zeros past n and past N included); refuses an empty batch."""
    params = state.params
    if not 0 <= batch < params.batches:
        raise PayoutError(f"batch {batch} does not exist: build {params.name} has batches 0..{params.batches - 1}")
    start = batch * params.batch
    if start >= state.n:
        raise PayoutError(f"batch {batch} starts at slot {start}, past the {state.n} used slots: it is empty")
    return batch_words(state.words, batch, params.batch)


def payout_inputs(state: RewardState, batch: int, challenge: Challenge) -> Inputs:
    """Payout: the batch's words, every block hash, and the header of ``state``."""
    payout_words(state, batch)  # refuses a batch that does not exist or is empty, by name
    return raw_payout_inputs(
        commitment=state.commitment, domain=state.domain, round_number=state.round, n=state.n,
        total=state.total, max_units=state.max_units, salt=state.salt, words=state.words, batch=batch,
        batch_size=state.params.batch, challenge=challenge,
    )


def raw_payout_inputs(
    *, commitment: int, domain: int, round_number: int, n: int, total: int, max_units: int, salt: int,
    words: Sequence[int], batch: int, batch_size: int, challenge: Challenge,
) -> Inputs:
    """Payout inputs from raw header values and all N words, with no rule checked: for states no valid
    round reaches (an aggregator's unchallenged cheat), which tests and fixtures must still prove."""
    return {
        "C": commitment, "x": challenge.x, "y": challenge.y,
        "domain": domain, "r": round_number, "n": n, "total": total, "batch": batch, "maxUnits": max_units,
        "salt": salt,
        "words": batch_words(words, batch, batch_size), "blockHashes": block_hashes(words),
    }


def public_inputs(inputs: Mapping[str, Any], names: Sequence[str]) -> list[int]:
    """The public signals in verifier order, read from the input dict."""
    return [int(inputs[name]) for name in names]


# --------------------------------------------------------------------------- the calculator


@dataclass(frozen=True)
class WitnessJob:
    circuit: str
    wasm: Path
    inputs: Inputs
    out: Path


class WitnessCalculator:
    """Runs circom wasm witness generators through snarkjs, many per node process."""

    def __init__(self, toolchain: Toolchain | None = None) -> None:
        tc = toolchain or Toolchain()
        if not (tc.node_modules / "circom_runtime").exists():
            raise ToolMissing(
                f"snarkjs (circom_runtime) is missing from {tc.node_modules}: run scripts/setup.sh in a source "
                f"checkout, or point {ENV_NODE_MODULES} at a node_modules holding the pinned npm tools"
            )
        self._node = tc.node
        self._env = {**os.environ, "NODE_PATH": str(tc.node_modules)}

    def run(self, jobs: Sequence[WitnessJob]) -> list[WitnessRuleError | None]:
        """Compute every job's witness file; return None per success, the refusal per failure."""
        payload = [{"wasm": str(j.wasm), "input": {k: _decimal(v) for k, v in j.inputs.items()}, "out": str(j.out)}
                   for j in jobs]
        proc = subprocess.run(
            [self._node, str(WITNESS_JS)], input=json.dumps(payload), capture_output=True, text=True,
            env=self._env, check=False,
        )
        if proc.returncode:
            raise CommandFailed("the witness calculator (node settlefl/circuits/js/witness.cjs)", proc.returncode,
                                proc.stderr)
        results = json.loads(proc.stdout)
        return [
            None if r["ok"] else WitnessRuleError(j.circuit, r["error"]) for j, r in zip(jobs, results, strict=True)
        ]

    def calculate(self, job: WitnessJob) -> Path:
        """Compute one witness file; raise :class:`WitnessRuleError` if the inputs break a constraint."""
        [error] = self.run([job])
        if error is not None:
            raise error
        return job.out
