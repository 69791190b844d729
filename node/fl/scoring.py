"""Contribution scoring by the aggregator, on its own validation set, turned into integer units.

Nothing a participant says about its own update is read: not its training loss, not its accuracy. The
aggregator prices each update by what it does to the loss of a validation set that only the aggregator
holds (:func:`~.data.validation_split`).

**The value of a set of updates.** Every scorer reads one function of the round, the value of a coalition
``S`` of the round's updates::

    v(S) = L(w) - L(w + sum_{i in S} p_i * d_i)

where ``L`` is the mean cross-entropy on the validation set, ``w`` the round's global model, ``d_i = w_i - w``
participant ``i``'s update (its uploaded model minus the global one) and ``p_i = n_i / sum_j n_j`` its
FedAvg weight over *all* the round's updates. So ``v(everyone)`` is exactly how much FedAvg improved the
validation loss this round, and ``v(S)`` is the improvement had only ``S`` sent updates and everyone else
sent the global model back. Keeping each ``p_i`` fixed (not renormalizing over ``S``) makes a free rider a
*null player*: its ``d_i`` is zero, so adding it to any coalition changes no bit of the combined model, and
every scorer below gives it exactly zero -- by construction, not by luck of the validation set.

The scorers (``name``: what it computes, evaluations of ``L`` per round for ``n`` updates):

* ``marginal-loss`` (the default): ``v({i})``, the improvement from applying participant ``i``'s own share of
  the FedAvg step to the global model. This is the issue's "loss of the global model vs loss of global +
  that participant's delta", with the delta weighted as FedAvg weights it, for three reasons: it prices the
  step the participant actually adds to the next model (a participant that reports 1% of the samples moves
  the model by 1% of its delta, and is priced for that); it is the same value function as the other two
  scorers, so the three answer one question in three ways (``marginal-loss`` is the "first-in" marginal,
  ``leave-one-out`` the "last-in" one, ``shapley`` the average over orders); and it is cheap, ``n + 1``
  evaluations. Its weakness: a participant whose update only helps together with others (strongly non-IID
  shards) can score zero; ``shapley`` sees such synergy.
* ``leave-one-out``: ``v(everyone) - v(everyone but i)``. ``n + 1`` evaluations. Redundant participants (IID
  copies of one another) each look small, because the others cover for them.
* ``shapley``: a Monte-Carlo estimate of the Shapley value of ``v``: the mean of ``i``'s marginal
  ``v(P_i + {i}) - v(P_i)`` over ``permutations`` seeded random orders (``P_i``: who precedes ``i``). At most
  ``permutations * n`` evaluations, fewer since coalitions repeat (each is evaluated once per round). The
  order stream follows the scorer's ``seed`` and the round, so a rerun gives the same values.

**Only an update that points downhill is paid.** Clipping values at zero alone would pay for noise: a random
perturbation of the model lowers the validation loss about half the time (its first-order effect,
``-u . g``, is as likely positive as negative), and with values clipped at zero its expected pay is positive.
Measured on digits, Gaussian noise of standard deviation 0.01 or 0.1 per weight earned 0.2% to 1.8% of a
round's budget in 13 of 90 scored rounds even when each value also had to clear two standard errors over the
validation samples: its small gain is consistent across samples, because it is a real first-order effect.
What does tell noise apart is its *direction*: for a direction drawn at random in ``d`` dimensions, the
cosine with the validation descent direction ``-g`` (the gradient of ``L`` at the global model) is about
normal with mean 0 and standard deviation ``1/sqrt(d)``; an honest update's cosine is tens of those early in
a job. So an update is *eligible* only if ``cos(d_i, -g) * sqrt(d) > z`` (``z = 3`` by default: a random
direction passes 0.13% of the time), and its value counts only if it is eligible and positive. Late in a
job, when honest updates barely point downhill any more, a round may pay nobody; ``z = 0`` asks only for a
positive cosine. The gate assumes noise that is spread over all weights: noise put only where the gradient
is large (say the output biases) passes more often, and then earns in proportion to its value, which is
small.

**From values to units.** If any value counts, the round's whole budget is divided in proportion to the
counted values by the largest remainder method, in exact rational arithmetic: each participant gets the
floor of its quota, and the units left over go one each to the largest remainders, ties to the lower
position in the round's list. If none counts, nobody earns anything this round and the budget stays
unspent. So the total handed out is the budget or zero, and no row exceeds the budget, which must be below
``2^K`` (the circuits' row bound, ``K = 32`` by default).

The scorer a job uses is a :class:`ScorerRecord` (name and parameters, canonical JSON) in its metadata;
:func:`scorer_from_record` rebuilds it, so anyone holding the round's models and the validation set can
recompute the units.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction
from typing import Any, ClassVar, TypeVar

import torch
from torch import nn

from settlefl.errors import InputError

from .aggregate import sample_weights
from .data import Dataset
from .seeds import rng
from .train import mean_loss_and_correct, tensors, validation_gradient
from .weights import StateDict, flatten, layout_of, unflatten

log = logging.getLogger(__name__)

ParamValue = int | float | str
#: A loss above this (or NaN, or infinite) counts as this: a wrecked model is priced as one, and every
#: value stays finite so that differences and means of them are numbers.
LOSS_CAP = 1e6
#: Rows of a round stay below 2^K with K = 32, the circuits' default (docs/protocol.md, "The round rule").
ROW_LIMIT = 2**32


@dataclass(frozen=True)
class Update:
    """One participant's upload for a round: its new parameters and the sample count it reports."""

    participant: str
    state: StateDict
    samples: int


class RoundGame:
    """The coalition value ``v(S)`` of one round (module docstring), each coalition evaluated once.

    Also each update's *alignment*: the cosine of its delta with the validation descent direction at the
    global model, in units of a random direction's standard deviation ``1/sqrt(d)``.
    """

    def __init__(self, model: nn.Module, global_state: Mapping[str, torch.Tensor], updates: Sequence[Update],
                 validation: Dataset, round_index: int = 1) -> None:
        if not updates:
            raise InputError("a round with no updates has nothing to score")
        if len(validation) == 0:
            raise InputError("scoring needs a non-empty validation set")
        self.round = round_index
        self.participants = tuple(u.participant for u in updates)
        if len(set(self.participants)) != len(self.participants):
            raise InputError(f"a participant appears twice in the round's updates: {list(self.participants)}")
        self._layout = layout_of(global_state)
        for update in updates:
            if layout_of(update.state) != self._layout:
                raise InputError(f"the update of {update.participant} does not have the global model's tensors")
        self._base = flatten(global_state).to(torch.float64)
        self._deltas = [flatten(u.state).to(torch.float64) - self._base for u in updates]
        if not all(bool(torch.isfinite(d).all()) for d in self._deltas):
            raise InputError("an update holds a NaN or infinite value (decode refuses those: was it decoded?)")
        self._weights = sample_weights([u.samples for u in updates])
        self._model = copy.deepcopy(model)
        self._x, self._y = tensors(validation)
        self._losses: dict[frozenset[int], float] = {}
        self._alignments: list[float] | None = None

    @property
    def size(self) -> int:
        """How many updates (players) the round has."""
        return len(self._deltas)

    @property
    def evaluations(self) -> int:
        """How many coalitions were evaluated on the validation set so far."""
        return len(self._losses)

    @property
    def everyone(self) -> frozenset[int]:
        return frozenset(range(self.size))

    def state(self, members: frozenset[int]) -> StateDict:
        """The model ``w + sum_{i in members} p_i d_i`` (members added in index order, in float64)."""
        combined = self._base.clone()
        for index in sorted(members):
            combined += self._weights[index] * self._deltas[index]
        return unflatten(combined.to(torch.float32), self._layout)

    def loss(self, members: frozenset[int]) -> float:
        """The validation loss of :meth:`state` (capped at :data:`LOSS_CAP`)."""
        if members not in self._losses:
            if not members <= self.everyone:
                raise InputError(f"coalition {sorted(members)} names a player outside 0..{self.size - 1}")
            self._model.load_state_dict(self.state(members))
            loss, _ = mean_loss_and_correct(self._model, self._x, self._y)
            self._losses[members] = loss if math.isfinite(loss) and loss < LOSS_CAP else LOSS_CAP
        return self._losses[members]

    def value(self, members: frozenset[int]) -> float:
        """``v(members)``: how much applying their weighted updates lowers the validation loss."""
        return self.loss(frozenset()) - self.loss(members)

    def alignments(self) -> list[float]:
        """``cos(d_i, -g) * sqrt(d)`` for each update (0 for an empty delta or a zero gradient)."""
        if self._alignments is None:
            self._model.load_state_dict(self.state(frozenset()))
            descent = -validation_gradient(self._model, self._x, self._y).to(torch.float64)
            scale = math.sqrt(self._layout.size)
            norm = float(descent.norm())
            self._alignments = [
                float(delta @ descent) / (float(delta.norm()) * norm) * scale if norm and float(delta.norm()) else 0.0
                for delta in self._deltas
            ]
        return list(self._alignments)


@dataclass(frozen=True)
class ScorerRecord:
    """The scorer of a job, for its metadata: a name from :data:`SCORERS` and its parameters."""

    name: str
    params: dict[str, ParamValue] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(sorted(self.params.items()))}

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): equal records give equal strings."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> ScorerRecord:
        name, params = record.get("name"), record.get("params", {})
        if not isinstance(name, str) or not isinstance(params, Mapping):
            raise InputError(f"a scorer record is {{'name': str, 'params': {{...}}}}, got {dict(record)!r}")
        return cls(name, dict(params))

    @classmethod
    def from_json(cls, text: str) -> ScorerRecord:
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise InputError(f"a scorer record is JSON {{'name': ..., 'params': {{...}}}}: {exc}") from None
        if not isinstance(loaded, Mapping):
            raise InputError(f"a scorer record is a JSON object, got {text!r}")
        return cls.from_dict(loaded)


@dataclass(frozen=True)
class Scorer(ABC):
    """A way to value each update of a round from :class:`RoundGame`.

    Subclasses are frozen dataclasses whose fields are their parameters (``z``, the eligibility floor of
    the module docstring, is everyone's), registered by name with :func:`register`.
    """

    name: ClassVar[str]
    z: float = 3.0

    def __post_init__(self) -> None:
        if isinstance(self.z, bool) or not isinstance(self.z, int | float) or not 0 <= self.z < math.inf:
            raise ValueError(f"z must be a non-negative number, got {self.z!r}")
        object.__setattr__(self, "z", float(self.z))  # 2 and 2.0 give one record

    @abstractmethod
    def values(self, game: RoundGame) -> list[float]:
        """One value per update, in the round's order; negative means the update hurt."""

    def record(self) -> ScorerRecord:
        """Name and parameters, for the job metadata."""
        return ScorerRecord(self.name, asdict(self))


#: Every scorer by name: what a :class:`ScorerRecord` can name.
SCORERS: dict[str, type[Scorer]] = {}
S = TypeVar("S", bound=type[Scorer])


def register(cls: S) -> S:
    """Class decorator: make a scorer available by its ``name``."""
    if cls.name in SCORERS:
        raise ValueError(f"a scorer named {cls.name!r} is registered already")
    SCORERS[cls.name] = cls
    return cls


def make_scorer(name: str, **params: ParamValue) -> Scorer:
    """The scorer ``name`` with ``params`` (each scorer's fields; unknown ones are refused)."""
    if name not in SCORERS:
        raise InputError(f"unknown scorer {name!r}: choose among {', '.join(sorted(SCORERS))}")
    cls = SCORERS[name]
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise InputError(f"scorer {name} has no parameter {', '.join(unknown)} (it has: {', '.join(known)})")
    try:
        return cls(**params)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InputError(f"scorer {name}: {exc}") from None


def scorer_from_record(record: ScorerRecord) -> Scorer:
    """The scorer a job's metadata names."""
    return make_scorer(record.name, **record.params)


@register
@dataclass(frozen=True)
class MarginalLoss(Scorer):
    """``v({i})``: participant ``i``'s weighted step alone, applied to the global model."""

    name: ClassVar[str] = "marginal-loss"

    def values(self, game: RoundGame) -> list[float]:
        return [game.value(frozenset({i})) for i in range(game.size)]


@register
@dataclass(frozen=True)
class LeaveOneOut(Scorer):
    """``v(everyone) - v(everyone but i)``: what the round's FedAvg loses without ``i``."""

    name: ClassVar[str] = "leave-one-out"

    def values(self, game: RoundGame) -> list[float]:
        everyone = game.value(game.everyone)
        return [everyone - game.value(game.everyone - {i}) for i in range(game.size)]


@register
@dataclass(frozen=True)
class MonteCarloShapley(Scorer):
    """The mean marginal of each update over ``permutations`` seeded random orders."""

    name: ClassVar[str] = "shapley"
    permutations: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.permutations, bool) or not isinstance(self.permutations, int) or self.permutations < 1:
            raise ValueError(f"permutations must be a positive integer, got {self.permutations!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")

    def values(self, game: RoundGame) -> list[float]:
        generator = rng(self.seed, "shapley", game.round)
        totals = [0.0] * game.size
        for _ in range(self.permutations):
            before: frozenset[int] = frozenset()
            previous = game.value(before)
            for player in (int(p) for p in generator.permutation(game.size)):
                after = before | {player}
                current = game.value(after)
                totals[player] += current - previous
                before, previous = after, current
        return [t / self.permutations for t in totals]


def allocate_units(values: Sequence[float], budget: int, row_limit: int = ROW_LIMIT) -> list[int]:
    """Integer units in proportion to the positive ``values``: all of ``budget``, or nothing if none is positive.

    Largest remainder in exact rational arithmetic (every float is a rational), so the result does not
    depend on rounding; ties go to the lower index.
    """
    if not 0 <= budget < row_limit:
        raise InputError(f"a round's budget must lie in 0..{row_limit - 1} so every row stays below "
                         f"{row_limit}, got {budget}")
    counted = [Fraction(v) if math.isfinite(v) and v > 0 else Fraction(0) for v in values]
    total = sum(counted, Fraction(0))
    if total == 0 or budget == 0:
        return [0] * len(values)
    quotas = [budget * v / total for v in counted]
    units = [math.floor(q) for q in quotas]
    left = budget - sum(units)
    by_remainder = sorted(range(len(values)), key=lambda i: (-(quotas[i] - units[i]), i))
    for index in by_remainder[:left]:
        units[index] += 1
    return units


@dataclass(frozen=True)
class RoundScores:
    """What the scorer found in one round and the units it hands out (``to_dict`` for logs and reports).

    ``values[i]`` is update ``i``'s value under the scorer, ``alignments[i]`` its direction test statistic,
    ``counted[i]`` whether its value counted (eligible and positive), ``units[i]`` what it earned.
    """

    round: int
    participants: tuple[str, ...]
    values: tuple[float, ...]
    alignments: tuple[float, ...]
    counted: tuple[bool, ...]
    units: tuple[int, ...]
    budget: int
    global_loss: float
    aggregate_loss: float
    evaluations: int
    seconds: float
    scorer: ScorerRecord

    def to_dict(self) -> dict[str, Any]:
        rows = zip(self.participants, self.values, self.alignments, self.counted, self.units, strict=True)
        return {
            "round": self.round, "scorer": self.scorer.to_dict(), "budget": self.budget,
            "global_loss": self.global_loss, "aggregate_loss": self.aggregate_loss,
            "evaluations": self.evaluations, "seconds": self.seconds,
            "participants": [{"participant": p, "value": v, "alignment": a, "counted": c, "units": u}
                             for p, v, a, c, u in rows],
        }


def score_round(scorer: Scorer, game: RoundGame, budget: int, row_limit: int = ROW_LIMIT) -> RoundScores:
    """Value every update of ``game`` with ``scorer`` and divide ``budget`` among the eligible improvements."""
    began = time.perf_counter()
    values = scorer.values(game)
    alignments = game.alignments()
    counted = [v > 0 and a > scorer.z for v, a in zip(values, alignments, strict=True)]
    units = allocate_units([v if ok else 0.0 for v, ok in zip(values, counted, strict=True)], budget, row_limit)
    global_loss, aggregate_loss = game.loss(frozenset()), game.loss(game.everyone)
    result = RoundScores(game.round, game.participants, tuple(values), tuple(alignments), tuple(counted), tuple(units),
                         budget, global_loss, aggregate_loss, game.evaluations, time.perf_counter() - began,
                         scorer.record())
    log.info("round %d scored by %s in %d evaluations: units %s", game.round, scorer.name, game.evaluations,
             dict(zip(game.participants, units, strict=True)))
    return result
