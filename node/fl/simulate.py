"""Whole FL jobs in one process: honest and adversarial participants, FedAvg, scoring, every round.

The service and the participant processes (later issues) split this loop across machines; here it runs
in one process so that tests and ``bench/fl.py`` can check what the scorer pays for, and so that a run is
reproducible from its seed alone. The adversaries are the ones the scorer must not pay:

* ``free-rider``: sends the global model back unchanged (and claims its shard's sample count);
* ``sign-flip``: trains honestly, then sends the opposite of its update (``w - d`` instead of ``w + d``);
* ``noise``: sends the global model plus Gaussian noise of standard deviation ``noise_std`` per weight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from settlefl.errors import InputError

from .aggregate import fedavg
from .data import Dataset, Federation
from .models import ModelSpec, build_model
from .scoring import RoundGame, RoundScores, Scorer, Update, score_round
from .seeds import derive_seed
from .train import Evaluation, TrainConfig, evaluate, train_local
from .weights import StateDict, content_hash, state_of

log = logging.getLogger(__name__)

Behaviour = Literal["honest", "free-rider", "sign-flip", "noise"]
BEHAVIOURS: tuple[Behaviour, ...] = ("honest", "free-rider", "sign-flip", "noise")


def local_update(behaviour: Behaviour, model: nn.Module, global_state: Mapping[str, torch.Tensor], shard: Dataset,
                 config: TrainConfig, seed: int, noise_std: float = 1.0) -> tuple[StateDict, int]:
    """The parameters and sample count that a participant of ``behaviour`` uploads for one round."""
    if behaviour == "free-rider":
        return {k: v.detach().clone() for k, v in global_state.items()}, len(shard)
    if behaviour == "noise":
        generator = torch.Generator().manual_seed(seed)
        noisy = {k: v + noise_std * torch.randn(v.shape, generator=generator) for k, v in global_state.items()}
        return noisy, len(shard)
    trained = train_local(model, global_state, shard, config, seed)
    if behaviour == "honest":
        return trained.state, trained.samples
    if behaviour == "sign-flip":
        return {k: 2 * global_state[k] - v for k, v in trained.state.items()}, trained.samples
    raise InputError(f"unknown behaviour {behaviour!r}: choose among {', '.join(BEHAVIOURS)}")


@dataclass(frozen=True)
class RoundRecord:
    """One round: times, the new global model's validation figures, and each scorer's verdict."""

    round: int
    train_seconds: float
    aggregate_seconds: float
    seconds: float
    model_hash: str
    validation: Evaluation
    scores: dict[str, RoundScores]

    def to_dict(self) -> dict[str, Any]:
        return {"round": self.round, "seconds": self.seconds, "train_seconds": self.train_seconds,
                "aggregate_seconds": self.aggregate_seconds, "model_hash": self.model_hash,
                "validation_loss": self.validation.loss, "validation_accuracy": self.validation.accuracy,
                "scores": {name: s.to_dict() for name, s in self.scores.items()}}


@dataclass
class Simulation:
    """The result of :func:`simulate`: the rounds, and the initial and final global models' figures."""

    participants: tuple[str, ...]
    behaviours: tuple[Behaviour, ...]
    initial: Evaluation
    initial_hash: str
    rounds: list[RoundRecord] = field(default_factory=list)

    @property
    def final(self) -> Evaluation:
        return self.rounds[-1].validation if self.rounds else self.initial

    def units(self, scorer: str) -> dict[str, int]:
        """Each participant's units over all rounds under ``scorer``."""
        totals = dict.fromkeys(self.participants, 0)
        for record in self.rounds:
            for participant, units in zip(self.participants, record.scores[scorer].units, strict=True):
                totals[participant] += units
        return totals


def simulate(federation: Federation, spec: ModelSpec, behaviours: Sequence[Behaviour], rounds: int,
             config: TrainConfig, scorers: Sequence[Scorer], budget: int, seed: int = 0,
             noise_std: float = 1.0) -> Simulation:
    """Run ``rounds`` rounds of FedAvg with one participant per shard, scoring each with every scorer.

    Only the first scorer's verdict would pay in a real job; the others are computed on the same round's
    updates, for comparison. Participant ``i`` is named ``p<i>`` and trains on shard ``i``.
    """
    if len(behaviours) != len(federation.shards):
        raise InputError(f"{len(behaviours)} behaviours for {len(federation.shards)} shards")
    if not scorers:
        raise InputError("simulate needs at least one scorer")
    model = build_model(spec, derive_seed(seed, "model"))
    global_state = state_of(model)
    names = tuple(f"p{i}" for i in range(len(behaviours)))
    result = Simulation(names, tuple(behaviours), evaluate(model, federation.validation), content_hash(global_state))
    for round_index in range(1, rounds + 1):
        began = time.perf_counter()
        updates = []
        for slot, (name, behaviour, shard) in enumerate(zip(names, behaviours, federation.shards, strict=True)):
            state, samples = local_update(behaviour, model, global_state, shard, config,
                                          derive_seed(seed, "train", round_index, slot), noise_std)
            updates.append(Update(name, state, samples))
        trained = time.perf_counter()
        # A fresh game per scorer: its evaluation count and time are then its own.
        scores = {scorer.name: score_round(scorer, RoundGame(model, global_state, updates, federation.validation,
                                                             round_index), budget)
                  for scorer in scorers}
        global_state = fedavg([(u.state, u.samples) for u in updates])
        validation = evaluate(model, federation.validation, global_state)
        done = time.perf_counter()
        result.rounds.append(RoundRecord(round_index, trained - began, done - trained, done - began,
                                         content_hash(global_state), validation, scores))
        log.info("round %d: validation loss %.4f, accuracy %.4f, %.2f s", round_index, validation.loss,
                 validation.accuracy, done - began)
    return result
