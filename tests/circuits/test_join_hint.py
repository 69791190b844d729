"""The only hint in our own templates (`bp = floor(nPrev / 16)` for JoinChecks) cannot be forged:
a prover who sets it to any other value, which the honest generator never does, is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from settlefl.circuits.build import compile_circuit
from settlefl.circuits.toolchain import Toolchain
from settlefl.circuits.witness import WitnessCalculator, WitnessJob
from settlefl.crypto import FIELD_MODULUS
from settlefl.settings import settings

HARNESS = Path(__file__).resolve().parent / "harness" / "join_checks.circom"  # JoinChecks(32, 4)


@pytest.fixture(scope="module")
def wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("harness")
    _, compiled = compile_circuit(HARNESS, out, "join_checks", Toolchain(), [settings().circuits_dir])
    return compiled


def inputs(n_prev: int, joins: list[int], bp: int) -> dict[str, object]:
    addr = [0] * 32
    for offset, address in enumerate(joins):
        addr[n_prev + offset] = address
    return {"addr": addr, "nPrev": n_prev, "count": len(joins), "bp": bp}


def run(wasm: Path, tmp: Path, cases: list[dict[str, object]]) -> list[str | None]:
    jobs = [WitnessJob("join_checks", wasm, case, tmp / f"{i}.wtns") for i, case in enumerate(cases)]
    return [None if e is None else e.template for e in WitnessCalculator().run(jobs)]


@pytest.mark.parametrize("n_prev", [0, 14, 15, 16, 18, 28, 32])
def test_the_honest_hint_is_accepted_at_every_kind_of_position(wasm: Path, tmp_path: Path, n_prev: int) -> None:
    joins = [0xA0 + i for i in range(min(4, 32 - n_prev))]
    assert run(wasm, tmp_path, [inputs(n_prev, joins, n_prev // 16)]) == [None]


@pytest.mark.parametrize("n_prev", [14, 18, 30])
def test_any_other_hint_is_refused(wasm: Path, tmp_path: Path, n_prev: int) -> None:
    joins = [0xA0 + i for i in range(min(4, 32 - n_prev))]
    wrong = [b for b in range(3) if b != n_prev // 16]
    wrong += [n_prev * pow(16, -1, FIELD_MODULUS) % FIELD_MODULUS, FIELD_MODULUS - 1]  # off = 0 / huge
    results = run(wasm, tmp_path, [inputs(n_prev, joins, bp) for bp in wrong])
    assert all(template == "OneHot" for template in results), results
