"""Contribution scoring: free riders and poisoners earn nothing under every scorer, honest participants
earn, the units are exact and within the budget, and everything follows the seed."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from settlefl.errors import InputError
from settlefl_node.fl.data import Dataset, Federation, SplitSpec, federate
from settlefl_node.fl.models import ModelSpec, build_model
from settlefl_node.fl.scoring import (
    SCORERS,
    MarginalLoss,
    RoundGame,
    ScorerRecord,
    Update,
    allocate_units,
    make_scorer,
    register,
    score_round,
    scorer_from_record,
)
from settlefl_node.fl.simulate import Behaviour, local_update, simulate
from settlefl_node.fl.train import TrainConfig
from settlefl_node.fl.weights import StateDict, flatten, state_of

SCORER_NAMES = ("marginal-loss", "leave-one-out", "shapley")
BUDGET = 1_000
CAST: tuple[Behaviour, ...] = ("honest", "honest", "honest", "free-rider", "sign-flip", "noise")
HONEST = (0, 1, 2)
FREE_RIDER, SIGN_FLIP, NOISE = 3, 4, 5


# -- units -----------------------------------------------------------------------------------------------


def test_units_use_the_largest_remainder_and_hand_out_the_whole_budget() -> None:
    # quotas 333.33.., 333.33.., 333.33..: one unit left, to the lowest index
    assert allocate_units([1.0, 1.0, 1.0], 1000) == [334, 333, 333]
    # quotas 142.857.., 285.714.., 571.428..: floors 142, 285, 571 leave 2, to remainders .857 and .714
    assert allocate_units([1.0, 2.0, 4.0], 1000) == [143, 286, 571]
    assert allocate_units([0.5, -3.0, 0.0, 0.5], 7) == [4, 0, 0, 3]
    assert allocate_units([0.0, -1.0], 1000) == [0, 0], "no positive value: the round pays nobody"
    assert allocate_units([float("nan"), float("inf"), 1.0], 10) == [0, 0, 10], "non-finite values count as 0"
    assert allocate_units([1.0, 2.0], 0) == [0, 0]


def test_units_stay_below_2_to_the_32_per_row() -> None:
    assert allocate_units([1.0, 1e-300], 2**32 - 1) == [2**32 - 1, 0]
    with pytest.raises(InputError, match="budget must lie in 0..4294967295"):
        allocate_units([1.0], 2**32)
    with pytest.raises(InputError, match="budget"):
        allocate_units([1.0], -1)


@given(
    st.lists(st.floats(min_value=-1.0, max_value=1e6, allow_nan=False), min_size=1, max_size=12),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_units_are_proportional_within_one_and_add_up_to_the_budget_or_zero(values: list[float], budget: int) -> None:
    units = allocate_units(values, budget)
    positive = [max(v, 0.0) for v in values]
    total = sum(positive)
    if total == 0 or budget == 0:
        assert units == [0] * len(values)
        return
    assert sum(units) == budget
    for value, unit in zip(positive, units, strict=True):
        assert 0 <= unit <= budget and abs(unit - budget * value / total) < 1 + 1e-9
        if value == 0:
            assert unit == 0


# -- the registry and the record -------------------------------------------------------------------------


def test_scorers_are_registered_by_name_and_rebuilt_from_their_record() -> None:
    assert set(SCORERS) >= set(SCORER_NAMES)
    shapley = make_scorer("shapley", permutations=8, seed=3)
    record = shapley.record()
    assert record.to_json() == '{"name":"shapley","params":{"permutations":8,"seed":3,"z":3.0}}'
    assert scorer_from_record(ScorerRecord.from_json(record.to_json())) == shapley
    assert make_scorer("marginal-loss", z=2).record() == make_scorer("marginal-loss", z=2.0).record()
    assert MarginalLoss().record().to_dict() == {"name": "marginal-loss", "params": {"z": 3.0}}


def test_bad_scorer_names_parameters_and_records_are_refused() -> None:
    with pytest.raises(InputError, match="unknown scorer 'accuracy'"):
        make_scorer("accuracy")
    with pytest.raises(InputError, match="has no parameter permutations"):
        make_scorer("marginal-loss", permutations=3)
    with pytest.raises(InputError, match="permutations must be a positive integer"):
        make_scorer("shapley", permutations=0)
    with pytest.raises(InputError, match="z must be a non-negative number"):
        make_scorer("leave-one-out", z=-1.0)
    with pytest.raises(InputError, match="scorer record"):
        ScorerRecord.from_json('["shapley"]')
    with pytest.raises(InputError, match="scorer record"):
        ScorerRecord.from_json("{not json")
    with pytest.raises(ValueError, match="registered already"):
        register(MarginalLoss)


# -- one round with every kind of participant -----------------------------------------------------------


@dataclass(frozen=True)
class Round:
    model: nn.Module
    start: StateDict
    updates: list[Update]
    validation: Dataset

    def game(self) -> RoundGame:
        return RoundGame(self.model, self.start, self.updates, self.validation, round_index=1)


def _round(federation: Federation, cast: tuple[Behaviour, ...], noise_std: float) -> Round:
    model = build_model(ModelSpec("mlp", (1, 8, 8), 10), seed=11)
    start = state_of(model)
    updates = []
    for slot, (behaviour, shard) in enumerate(zip(cast, federation.shards, strict=True)):
        state, samples = local_update(behaviour, model, start, shard, TrainConfig(), seed=100 + slot,
                                      noise_std=noise_std)
        updates.append(Update(f"p{slot}", state, samples))
    return Round(model, start, updates, federation.validation)


@pytest.fixture(scope="module")
def federation(digits: Dataset) -> Federation:
    return federate(digits, SplitSpec(participants=len(CAST), seed=0))


@pytest.fixture(scope="module")
def first_round(federation: Federation) -> Round:
    """Three honest participants, a free rider, a sign flipper and a noise sender (0.1 per weight)."""
    return _round(federation, CAST, noise_std=0.1)


@pytest.mark.parametrize("name", SCORER_NAMES)
def test_free_riders_and_poisoners_earn_nothing_and_honest_participants_earn(first_round: Round, name: str) -> None:
    scores = score_round(make_scorer(name), first_round.game(), BUDGET)
    assert scores.values[FREE_RIDER] == 0.0, "a free rider is a null player: exactly zero"
    assert scores.units[FREE_RIDER] == scores.units[SIGN_FLIP] == scores.units[NOISE] == 0
    assert scores.values[SIGN_FLIP] < 0
    assert all(scores.units[i] > 0 for i in HONEST), scores
    assert sum(scores.units) == BUDGET
    assert scores.aggregate_loss < scores.global_loss


def test_the_free_rider_changes_no_coalition_by_a_single_bit(first_round: Round) -> None:
    game = first_round.game()
    others = [i for i in range(game.size) if i != FREE_RIDER]
    for size in range(len(others) + 1):
        for members in itertools.combinations(others, size):
            coalition = frozenset(members)
            assert game.value(coalition | {FREE_RIDER}) == game.value(coalition)


def test_the_direction_test_rules_out_the_noise_and_the_sign_flip(first_round: Round) -> None:
    alignments = first_round.game().alignments()
    assert all(alignments[i] > 10 for i in HONEST), alignments
    assert alignments[FREE_RIDER] == 0.0
    assert alignments[SIGN_FLIP] < -10
    assert abs(alignments[NOISE]) < 3, "isotropic noise looks like a random direction"


def test_a_coalition_applies_each_update_with_its_fedavg_weight(first_round: Round) -> None:
    game = first_round.game()
    total = sum(u.samples for u in first_round.updates)
    base = flatten(first_round.start).to(torch.float64)
    delta = flatten(first_round.updates[0].state).to(torch.float64) - base
    expected = (base + first_round.updates[0].samples / total * delta).to(torch.float32)
    assert torch.equal(flatten(game.state(frozenset({0}))), expected)


@pytest.mark.parametrize("name", SCORER_NAMES)
def test_scores_are_deterministic_under_a_seed(first_round: Round, name: str) -> None:
    scorer = make_scorer(name)
    first = score_round(scorer, first_round.game(), BUDGET)
    again = score_round(scorer_from_record(ScorerRecord.from_json(scorer.record().to_json())), first_round.game(),
                        BUDGET)
    assert (first.values, first.units, first.alignments) == (again.values, again.units, again.alignments)


def test_shapley_orders_follow_the_seed(first_round: Round) -> None:
    game = first_round.game()
    seeded = [make_scorer("shapley", permutations=3, seed=s).values(game) for s in (1, 1, 2)]
    assert seeded[0] == seeded[1]
    assert seeded[0] != seeded[2]


def test_wrecking_noise_earns_nothing_either(federation: Federation) -> None:
    """Noise of 1.0 per weight ruins the FedAvg step: leave-one-out and Shapley then see honest steps
    inside a wrecked model, where they may not help; marginal-loss prices each step alone and still pays."""
    wrecked = _round(federation, CAST, noise_std=1.0)
    for name in SCORER_NAMES:
        scores = score_round(make_scorer(name), wrecked.game(), BUDGET)
        assert scores.units[NOISE] == scores.units[FREE_RIDER] == scores.units[SIGN_FLIP] == 0, name
    marginal = score_round(make_scorer("marginal-loss"), wrecked.game(), BUDGET)
    assert all(marginal.units[i] > 0 for i in HONEST)


def test_a_round_refuses_duplicates_other_architectures_and_non_finite_updates(first_round: Round) -> None:
    model, start, updates, validation = (first_round.model, first_round.start, first_round.updates,
                                         first_round.validation)
    with pytest.raises(InputError, match="appears twice"):
        RoundGame(model, start, [updates[0], updates[0]], validation)
    with pytest.raises(InputError, match="global model's tensors"):
        RoundGame(model, start, [Update("x", {"w": torch.zeros(1)}, 1)], validation)
    poisoned = {k: v.clone() for k, v in start.items()}
    next(iter(poisoned.values())).view(-1)[0] = float("nan")
    with pytest.raises(InputError, match="NaN"):
        RoundGame(model, start, [Update("x", poisoned, 1)], validation)
    with pytest.raises(InputError, match="no updates"):
        RoundGame(model, start, [], validation)


# -- whole jobs ------------------------------------------------------------------------------------------


def test_over_a_job_adversaries_never_earn_and_honest_participants_do(federation: Federation) -> None:
    scorers = [make_scorer(name) for name in SCORER_NAMES]
    spec = ModelSpec("mlp", (1, 8, 8), 10)
    job = simulate(federation, spec, CAST, rounds=4, config=TrainConfig(), scorers=scorers, budget=BUDGET, seed=3,
                   noise_std=0.1)
    for name in SCORER_NAMES:
        for record in job.rounds:
            units = record.scores[name].units
            assert units[FREE_RIDER] == units[SIGN_FLIP] == units[NOISE] == 0, (name, record.round, units)
        totals = job.units(name)
        assert all(totals[f"p{i}"] > 0 for i in HONEST), (name, totals)
    assert job.final.accuracy > 0.6, "it learns, slowed by the sign flip that FedAvg takes in"
    again = simulate(federation, spec, CAST, rounds=4, config=TrainConfig(), scorers=scorers, budget=BUDGET, seed=3,
                     noise_std=0.1)
    assert [r.model_hash for r in again.rounds] == [r.model_hash for r in job.rounds]
    assert all(again.units(n) == job.units(n) for n in SCORER_NAMES)


def test_the_cnn_learns_digits_and_its_free_rider_earns_nothing(digits: Dataset) -> None:
    federation = federate(digits, SplitSpec(participants=4, seed=1))
    job = simulate(federation, ModelSpec("cnn", (1, 8, 8), 10), ("honest", "honest", "honest", "free-rider"),
                   rounds=3, config=TrainConfig(), scorers=[make_scorer("marginal-loss")], budget=BUDGET, seed=1)
    assert job.final.accuracy > 0.8
    totals = job.units("marginal-loss")
    assert totals["p3"] == 0 and min(totals["p0"], totals["p1"], totals["p2"]) > 0
