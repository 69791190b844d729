"""Fixtures for the circuit tests: the committed test build, honest states, and a witness runner.

Cheating witnesses are built by taking honest inputs, changing the one value an attacker would change,
and re-sealing every commitment with the Python reference hash so that exactly one rule is broken. Each
test then checks *which* constraint refused the witness (template and line), so a test cannot pass for
the wrong reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.manifest import Manifest
from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import WitnessCalculator, WitnessJob, WitnessRuleError
from settlefl.crypto import FIELD_MODULUS
from settlefl.settings import settings
from settlefl.state import Join, RewardState, RoundUpdate, job_domain, job_id, round_salt
from settlefl.testvectors import AGGREGATOR, CHAIN_ID, CONTRACT, SUBMITTER

ROOT = Path(__file__).resolve().parents[2]
COMMITTED_BUILD = ROOT / "circuits" / "builds" / "n32_b16_k32_j4"
P = FIELD_MODULUS

RESPONDER = SUBMITTER
JOB = job_id(AGGREGATOR, 0)
DOMAIN = job_domain(CHAIN_ID, CONTRACT, JOB)
SECRET = 0xC0FFEE


def build_dir() -> Path:
    """The committed test build (override with SETTLEFL_TEST_BUILD while developing a new one)."""
    return Path(os.environ.get("SETTLEFL_TEST_BUILD", COMMITTED_BUILD))


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return Manifest.load(build_dir())


@pytest.fixture(scope="session")
def states(manifest: Manifest) -> list[RewardState]:
    """Genesis (18 participants) and three honest rounds; round 1 adds two joins."""
    params = manifest.params
    genesis = RewardState.genesis(params, DOMAIN, 10**12, [0x1000 + i for i in range(18)])
    chain = [genesis]
    updates = [
        RoundUpdate(rows=[(i, 100 + i) for i in range(18)], joins=[Join(0xBEEF, 7), Join(0xCAFE, 9)]),
        RoundUpdate(rows=[(0, 5), (19, 2**32 - 1)]),
        RoundUpdate(rows=[(3, 1)], joins=[Join(0xD00D + i, i) for i in range(params.max_joins)]),
    ]
    for r, update in enumerate(updates, start=1):
        chain.append(chain[-1].apply_round(update, round_salt(SECRET, DOMAIN, r)))
    return chain


class Witness:
    """Runs inputs through a circuit's witness generator; returns the refusal or None."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.calculator = WitnessCalculator()

    def check(self, circuit: Circuit, inputs: dict[str, Any], tmp: Path) -> WitnessRuleError | None:
        wasm = self.manifest.path(build_dir(), circuit, "wasm")
        [error] = self.calculator.run([WitnessJob(circuit.value, wasm, inputs, tmp / "w.wtns")])
        return error

    def check_many(self, circuit: Circuit, batch: list[dict[str, Any]], tmp: Path) -> list[WitnessRuleError | None]:
        wasm = self.manifest.path(build_dir(), circuit, "wasm")
        jobs = [WitnessJob(circuit.value, wasm, inputs, tmp / f"w{i}.wtns") for i, inputs in enumerate(batch)]
        return self.calculator.run(jobs)


@pytest.fixture(scope="session")
def witness(manifest: Manifest) -> Witness:
    return Witness(manifest)


def line_of(circuit_file: str, snippet: str) -> int:
    """The 1-based line of ``snippet`` in a circom source (so tests follow edits of the circuits)."""
    lines = (settings().circuits_dir / circuit_file).read_text().splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if snippet in line]
    assert len(hits) == 1, f"{snippet!r} occurs {len(hits)} times in {circuit_file}"
    return hits[0]


def assert_refused(
    error: WitnessRuleError | None, template: str, at: tuple[str, str, str] | None = None
) -> None:
    """The witness was refused by ``template``; with ``at = (outer template, file, snippet)``, by the
    call of it at that line of that file."""
    assert error is not None, "the cheating witness was accepted"
    assert error.template == template, f"refused by {error.template}, expected {template}: {error.raw}"
    if at is not None:
        outer, file, snippet = at
        sites = [line for name, line in error.templates if name == outer]
        assert line_of(file, snippet) in sites, f"refused at {error.templates}, expected {file}: {snippet!r}"


