"""Local training on a participant's shard, and evaluation on a data set.

Local training starts from the round's global model with a fresh optimizer (FedAvg's usual choice: an
optimizer's state is private to a participant and is not averaged), runs ``epochs`` passes over the shard
in seeded random mini-batches, and returns the new parameters. It never changes the model it is given:
the caller's model is a template, copied before training.

Evaluation is the mean cross-entropy and the accuracy over a data set, in large batches without
gradients. The scorer (:mod:`.scoring`) uses :func:`mean_loss` on many parameter vectors per round, so
it takes tensors that are already built.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from settlefl.errors import InputError

from .data import Dataset
from .weights import StateDict, state_of

log = logging.getLogger(__name__)

OptimizerName = Literal["sgd", "adam"]
EVAL_BATCH = 2048


@dataclass(frozen=True)
class TrainConfig:
    """How a participant trains each round; a small record for the job metadata (``to_dict``)."""

    optimizer: OptimizerName = "adam"
    lr: float = 0.005
    epochs: int = 2
    batch_size: int = 32
    momentum: float = 0.0  # SGD only
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        if self.optimizer not in ("sgd", "adam"):
            raise InputError(f"unknown optimizer {self.optimizer!r}: choose sgd or adam")
        if not self.lr > 0 or self.epochs < 1 or self.batch_size < 1 or self.momentum < 0 or self.weight_decay < 0:
            raise InputError(f"training needs lr > 0, epochs >= 1, batch size >= 1 and non-negative momentum and "
                             f"weight decay, got {self}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> TrainConfig:
        return cls(**dict(record))


@dataclass(frozen=True)
class TrainResult:
    """A participant's new parameters, how many samples trained them, and what it cost."""

    state: StateDict
    samples: int
    mean_loss: float  # over the last epoch's mini-batches, as training saw them
    steps: int
    seconds: float


@dataclass(frozen=True)
class Evaluation:
    """Mean cross-entropy and accuracy of a model over ``samples`` samples."""

    loss: float
    accuracy: float
    samples: int


def tensors(data: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """The data set's images and labels as torch tensors (sharing memory with the arrays)."""
    return torch.from_numpy(data.x), torch.from_numpy(data.y)


def _optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def train_local(model: nn.Module, start: Mapping[str, torch.Tensor], data: Dataset, config: TrainConfig,
                seed: int) -> TrainResult:
    """Train a copy of ``model`` from the parameters ``start`` on ``data``; the batches follow ``seed``."""
    if len(data) == 0:
        raise InputError(f"data set {data.name} is empty: nothing to train on")
    began = time.perf_counter()
    local = copy.deepcopy(model)
    local.load_state_dict(dict(start))
    local.train()
    optimizer = _optimizer(local, config)
    x, y = tensors(data)
    generator = torch.Generator().manual_seed(seed)
    steps = 0
    epoch_loss = 0.0
    for _ in range(config.epochs):
        order = torch.randperm(len(data), generator=generator)
        total, seen = 0.0, 0
        for offset in range(0, len(order), config.batch_size):
            batch = order[offset : offset + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(local(x[batch]), y[batch])
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            steps += 1
            total += float(loss.detach()) * len(batch)
            seen += len(batch)
        epoch_loss = total / seen
    local.eval()
    seconds = time.perf_counter() - began
    log.debug("trained %s: %d samples, %d steps, last-epoch loss %.4f, %.2f s", data.name, len(data), steps,
              epoch_loss, seconds)
    return TrainResult(state_of(local), len(data), epoch_loss, steps, seconds)


@torch.no_grad()
def mean_loss_and_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, int]:
    """Mean cross-entropy of ``model`` over ``(x, y)`` and how many it classifies right (no gradients)."""
    model.eval()
    total = 0.0
    correct = 0
    for start in range(0, len(y), EVAL_BATCH):
        logits = model(x[start : start + EVAL_BATCH])
        labels = y[start : start + EVAL_BATCH]
        total += float(F.cross_entropy(logits, labels, reduction="sum"))
        correct += int((logits.argmax(dim=1) == labels).sum())
    return total / max(len(y), 1), correct


def validation_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The gradient of the mean cross-entropy over ``(x, y)``, flat in layout order (sorted by name).

    Accumulated over batches, so a large validation set never needs one huge forward pass. Entries of
    the state dict that are not parameters (none in our models) get zeros.
    """
    model.eval()
    model.zero_grad(set_to_none=True)
    for start in range(0, len(y), EVAL_BATCH):
        batch = slice(start, start + EVAL_BATCH)
        loss = F.cross_entropy(model(x[batch]), y[batch], reduction="sum") / len(y)
        loss.backward()  # type: ignore[no-untyped-call]
    parameters = dict(model.named_parameters())
    parts = []
    for name, tensor in sorted(model.state_dict().items()):
        grad = parameters[name].grad if name in parameters else None
        parts.append((grad if grad is not None else torch.zeros_like(tensor)).detach().reshape(-1))
    model.zero_grad(set_to_none=True)
    return torch.cat(parts) if parts else torch.zeros(0)


def evaluate(model: nn.Module, data: Dataset, state: Mapping[str, torch.Tensor] | None = None) -> Evaluation:
    """Loss and accuracy of ``model`` (with the parameters ``state``, when given) on ``data``."""
    if state is not None:
        model = copy.deepcopy(model)
        model.load_state_dict(dict(state))
    x, y = tensors(data)
    loss, correct = mean_loss_and_correct(model, x, y)
    return Evaluation(loss, correct / max(len(data), 1), len(data))
