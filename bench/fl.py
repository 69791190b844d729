"""Federated learning on the digits set: accuracy, time per round and the scores per participant per round.

Each scenario runs a whole job in one process (:func:`settlefl_node.fl.simulate.simulate`): the aggregator
holds out a fifth of the digits for validation, splits the rest across the participants, and every round
trains each participant from the global model, scores the updates with all three scorers (only the first,
``marginal-loss``, would pay in a real job; the others are computed on the same updates for comparison)
and averages them with FedAvg.

* ``honest``: the issue's target, 4 IID participants, the MLP, 5 rounds; final validation accuracy must
  be above 90%.
* ``cnn``: the same with the CNN.
* ``dirichlet``: 4 participants with Dirichlet(0.5) label skew.
* ``adversarial``: 4 honest participants with a free rider, a sign flipper and a noise sender (0.1 per
  weight); the three must earn nothing.

    .venv/bin/python bench/fl.py [--scenarios honest,cnn,dirichlet,adversarial] [--rounds 5] [--seed 0]

Writes ``bench/results/fl.json`` and prints a table per scenario and a summary. torch runs on one thread
(``--threads``): these models are too small to gain from more, and on a busy machine a second thread
only adds waiting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402

from settlefl_node.fl.data import SplitSpec, federate, load_digits  # noqa: E402
from settlefl_node.fl.models import Arch, ModelSpec, build_model  # noqa: E402
from settlefl_node.fl.scoring import make_scorer  # noqa: E402
from settlefl_node.fl.simulate import Behaviour, Simulation, simulate  # noqa: E402
from settlefl_node.fl.train import TrainConfig, train_local  # noqa: E402
from settlefl_node.fl.weights import state_of  # noqa: E402

log = logging.getLogger("bench.fl")
RESULTS = ROOT / "bench" / "results" / "fl.json"
TARGET_ACCURACY = 0.90
BUDGET = 1_000
SCORERS = ("marginal-loss", "leave-one-out", "shapley")
NOISE_STD = 0.1


@dataclass(frozen=True)
class Scenario:
    name: str
    arch: Arch
    behaviours: tuple[Behaviour, ...]
    split: str = "iid"
    alpha: float = 0.5
    target: float | None = None  # the final validation accuracy the issue asks for, where it asks


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("honest", "mlp", ("honest",) * 4, target=TARGET_ACCURACY),
        Scenario("cnn", "cnn", ("honest",) * 4),
        Scenario("dirichlet", "mlp", ("honest",) * 4, split="dirichlet"),
        Scenario("adversarial", "mlp", ("honest",) * 4 + ("free-rider", "sign-flip", "noise")),
    )
}


def machine() -> dict[str, Any]:
    """What ran the benchmark: timings mean little without it."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor() or "unknown",
    ) if Path("/proc/cpuinfo").exists() else platform.processor() or "unknown"
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "scikit_learn": sklearn.__version__, "torch_threads": torch.get_num_threads()}


def warm_up() -> None:
    """One tiny training run first: torch's first optimizer step imports and initializes for about a
    second, which would otherwise land in the first scenario's first round."""
    data = load_digits()
    subset = data.subset(np.arange(64))
    model = build_model(ModelSpec("mlp", data.input_shape, data.classes))
    for optimizer in ("adam", "sgd"):
        train_local(model, state_of(model), subset, TrainConfig(optimizer=optimizer, epochs=1), seed=0)


def run(scenario: Scenario, rounds: int, seed: int, config: TrainConfig) -> tuple[dict[str, Any], Simulation]:
    data = load_digits()
    split = SplitSpec(participants=len(scenario.behaviours), kind="iid" if scenario.split == "iid" else "dirichlet",
                      alpha=scenario.alpha, seed=seed)
    federation = federate(data, split)
    spec = ModelSpec(scenario.arch, data.input_shape, data.classes)
    scorers = [make_scorer(name) for name in SCORERS]
    began = time.perf_counter()
    job = simulate(federation, spec, scenario.behaviours, rounds, config, scorers, BUDGET, seed=seed,
                   noise_std=NOISE_STD)
    seconds = time.perf_counter() - began
    result = {
        "scenario": scenario.name, "model": spec.to_dict(), "split": split.to_dict(), "label_skew": federation.skew,
        "train": config.to_dict(), "budget_per_round": BUDGET, "noise_std": NOISE_STD,
        "scorers": [s.record().to_dict() for s in scorers],
        "participants": [{"participant": p, "behaviour": b, "samples": len(shard)}
                         for p, b, shard in zip(job.participants, job.behaviours, federation.shards, strict=True)],
        "validation_samples": len(federation.validation),
        "initial_accuracy": job.initial.accuracy, "final_accuracy": job.final.accuracy,
        "final_loss": job.final.loss, "initial_model_hash": job.initial_hash,
        "target_accuracy": scenario.target,
        "target_met": None if scenario.target is None else job.final.accuracy > scenario.target,
        "seconds": seconds, "mean_round_seconds": sum(r.seconds for r in job.rounds) / max(len(job.rounds), 1),
        "units": {name: job.units(name) for name in SCORERS},
        "rounds": [r.to_dict() for r in job.rounds],
    }
    return result, job


def round_table(result: dict[str, Any], job: Simulation) -> Table:
    table = Table(title=f"{result['scenario']}: {result['model']['arch']}, {result['split']['kind']}, "
                        f"{len(job.participants)} participants (units of {BUDGET} per round, by {SCORERS[0]})")
    for column in ("round", "accuracy", "loss", "s/round", "train s", "score+avg s"):
        table.add_column(column, justify="right")
    for participant, behaviour in zip(job.participants, job.behaviours, strict=True):
        label = participant if behaviour == "honest" else f"{participant} ({behaviour})"
        table.add_column(label, justify="right")
    for record in job.rounds:
        scores = record.scores[SCORERS[0]]
        cells = [f"{u} ({v:+.3f})" for u, v in zip(scores.units, scores.values, strict=True)]
        table.add_row(str(record.round), f"{record.validation.accuracy:.2%}", f"{record.validation.loss:.3f}",
                      f"{record.seconds:.2f}", f"{record.train_seconds:.2f}", f"{record.aggregate_seconds:.2f}", *cells)
    for name in SCORERS:
        totals = job.units(name)
        table.add_row(f"total, {name}", "", "", "", "", "", *(str(totals[p]) for p in job.participants))
    return table


def summary_table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="FL on digits: final validation accuracy and mean time per round")
    for column in ("scenario", "model", "split", "participants", "rounds", "initial", "final", "target", "s/round"):
        table.add_column(column, justify="left" if column in ("scenario", "model", "split") else "right")
    for r in results:
        table.add_row(r["scenario"], r["model"]["arch"], r["split"]["kind"], str(len(r["participants"])),
                      str(len(r["rounds"])), f"{r['initial_accuracy']:.2%}", f"{r['final_accuracy']:.2%}",
                      "-" if r["target_met"] is None else f"{'met' if r['target_met'] else 'MISSED'} "
                      f"(> {r['target_accuracy']:.0%})", f"{r['mean_round_seconds']:.2f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every round")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        parser.error(f"--scenarios: choose among {', '.join(SCENARIOS)}")
    torch.set_num_threads(args.threads)
    warm_up()
    config = TrainConfig()
    console = Console()
    results = []
    for name in names:
        result, job = run(SCENARIOS[name], args.rounds, args.seed, config)
        results.append(result)
        console.print(round_table(result, job))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
        "load_average_after": os.getloadavg(),  # other work on the machine skews the timings
        "rounds": args.rounds, "seed": args.seed, "scenarios": results,
    }, indent=2) + "\n")
    console.print(summary_table(results))
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
