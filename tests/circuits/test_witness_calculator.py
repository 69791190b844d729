"""The batch witness calculator (settlefl/circuits/js/witness.cjs): one node process, many witnesses, each
answered on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import WitnessJob, transition_inputs
from settlefl.state import RewardState
from tests.circuits.conftest import RESPONDER, Witness, build_dir
from tests.circuits.sealing import seal_transition


def _jobs(witness: Witness, batch: list[dict[str, Any]], tmp: Path) -> list[WitnessJob]:
    wasm = witness.manifest.path(build_dir(), Circuit.TRANSITION, "wasm")
    return [WitnessJob(Circuit.TRANSITION.value, wasm, inputs, tmp / f"w{i}.wtns") for i, inputs in enumerate(batch)]


@pytest.mark.slow
def test_each_refusal_in_a_batch_names_its_own_rule(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # circom_runtime keeps every failure's trace in one buffer per instance: without a fresh instance after
    # a failure, the second refusal below read "OneHot" (the first one's template) instead of its own.
    honest = transition_inputs(states[1], states[2], RESPONDER)
    n_beyond = seal_transition(dict(honest, nNew=33))
    wrong_c = dict(honest, C_new=honest["C_new"] + 1)
    errors = witness.calculator.run(_jobs(witness, [n_beyond, honest, wrong_c, n_beyond, wrong_c], tmp_path))
    assert [None if e is None else e.template for e in errors] == ["OneHot", None, "Transition", "OneHot", "Transition"]
    refusals = [e for e in errors if e is not None]
    assert all(e.raw.count("Assert Failed") == 1 for e in refusals), [e.raw for e in refusals]
    assert refusals[1].templates == refusals[3].templates  # the same trace both times, nothing carried over


@pytest.mark.slow
def test_an_answer_larger_than_a_pipe_buffer_comes_back_whole(
    states: list[RewardState], witness: Witness, tmp_path: Path
) -> None:
    # An exit right after write() cut the JSON answer at the pipe's 64 KiB; an unknown input name is
    # echoed in its refusal, so two of them make an answer of about 160 KiB.
    honest = transition_inputs(states[1], states[2], RESPONDER)
    long_name = "x" * 80_000
    batch = [dict(honest, **{long_name: 1}), dict(honest, **{long_name + "y": 1}), honest]
    errors = witness.calculator.run(_jobs(witness, batch, tmp_path))
    assert errors[0] is not None and long_name in errors[0].raw
    assert errors[1] is not None and long_name + "y" in errors[1].raw
    assert errors[2] is None
