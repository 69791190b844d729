"""The two model families, described by a small serializable :class:`ModelSpec`.

Both are deliberately small: the demo trains on two shared CPU cores, and every round the aggregator
evaluates several combinations of updates on its validation set to score them. Neither uses batch
normalization or any other buffer, so a model is exactly its parameters: FedAvg averages every entry of
the state dict, and the canonical encoding (:mod:`.weights`) has nothing that is not a weight.

* ``mlp``: flatten, ``hidden`` ReLU units, ``hidden`` ReLU units, logits. About 9k parameters on digits.
* ``cnn``: two 3x3 convolutions (16 and 32 channels, each followed by ReLU and 2x2 max-pooling), a
  ``hidden``-unit ReLU layer, logits. Any ``c x h x w`` with ``h, w >= 4``: digits (1x8x8), MNIST
  (1x28x28), CIFAR-10 (3x32x32).

:func:`build_model` seeds the initial weights without touching torch's global generator, so the job's
initial model -- and its hash -- follows from the spec and the seed alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import torch
from torch import nn

from settlefl.errors import InputError

Arch = Literal["mlp", "cnn"]
ARCHS: tuple[Arch, ...] = ("mlp", "cnn")


@dataclass(frozen=True)
class ModelSpec:
    """What model a job trains: architecture, input shape ``(c, h, w)``, classes and hidden width."""

    arch: Arch
    input_shape: tuple[int, int, int]
    classes: int
    hidden: int = 64

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise InputError(f"unknown model {self.arch!r}: choose among {', '.join(ARCHS)}")
        if len(self.input_shape) != 3 or min(self.input_shape) < 1:
            raise InputError(f"the input shape must be (channels, height, width), got {self.input_shape}")
        if self.arch == "cnn" and min(self.input_shape[1:]) < 4:
            raise InputError(f"the CNN pools twice: images must be at least 4x4, got {self.input_shape}")
        if self.classes < 2 or self.hidden < 1:
            raise InputError(f"a model needs at least 2 classes and 1 hidden unit, got {self.classes}, {self.hidden}")

    def to_dict(self) -> dict[str, Any]:
        return {"arch": self.arch, "input_shape": list(self.input_shape), "classes": self.classes,
                "hidden": self.hidden}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> ModelSpec:
        try:
            c, h, w = (int(v) for v in record["input_shape"])
            return cls(cast(Arch, record["arch"]), (c, h, w), int(record["classes"]), int(record.get("hidden", 64)))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"a model spec needs arch, input_shape (c, h, w) and classes: {exc}") from None


class MLP(nn.Module):
    """Two hidden ReLU layers over the flattened image."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        c, h, w = spec.input_shape
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * h * w, spec.hidden),
            nn.ReLU(),
            nn.Linear(spec.hidden, spec.hidden),
            nn.ReLU(),
            nn.Linear(spec.hidden, spec.classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cast(torch.Tensor, self.net(x))


class CNN(nn.Module):
    """Two convolution and pooling stages, then a hidden ReLU layer."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        c, h, w = spec.input_shape
        self.features = nn.Sequential(
            nn.Conv2d(c, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * (h // 4) * (w // 4), spec.hidden),
            nn.ReLU(),
            nn.Linear(spec.hidden, spec.classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cast(torch.Tensor, self.head(self.features(x)))


def build_model(spec: ModelSpec, seed: int = 0) -> nn.Module:
    """A fresh model for ``spec`` whose initial weights depend only on ``seed``."""
    with torch.random.fork_rng(devices=[]):  # leaves the caller's global generator as it was
        torch.manual_seed(seed)
        model: nn.Module = MLP(spec) if spec.arch == "mlp" else CNN(spec)
    return model.eval()
