"""Local training and evaluation: it learns, it is reproducible from its seed, it leaves its template alone."""

from __future__ import annotations

import pytest
import torch

from settlefl.errors import InputError
from settlefl_node.fl.data import Dataset, validation_split
from settlefl_node.fl.models import ModelSpec, build_model
from settlefl_node.fl.train import TrainConfig, evaluate, tensors, train_local, validation_gradient
from settlefl_node.fl.weights import content_hash, flatten, layout_of, state_of, unflatten


@pytest.fixture(scope="module")
def halves(digits: Dataset) -> tuple[Dataset, Dataset]:
    training, validation = validation_split(digits, 0.5, seed=0)
    return training.subset(torch.arange(400).numpy()), validation


@pytest.mark.parametrize(
    "config", [TrainConfig(), TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9)], ids=["adam", "sgd"]
)
def test_local_training_learns_and_leaves_the_template_unchanged(halves: tuple[Dataset, Dataset],
                                                                  config: TrainConfig) -> None:
    training, validation = halves
    model = build_model(ModelSpec("mlp", (1, 8, 8), 10), seed=0)
    start = state_of(model)
    before = evaluate(model, validation)
    result = train_local(model, start, training, config, seed=1)
    assert content_hash(state_of(model)) == content_hash(start), "the template is copied, never trained"
    after = evaluate(model, validation, result.state)
    assert result.samples == 400 and result.steps == config.epochs * 13
    assert before.accuracy < 0.3 and after.accuracy > 0.5 and after.loss < before.loss
    assert 0 < result.mean_loss < before.loss


def test_local_training_is_reproducible_from_its_seed(halves: tuple[Dataset, Dataset]) -> None:
    training, _ = halves
    model = build_model(ModelSpec("cnn", (1, 8, 8), 10), seed=0)
    config = TrainConfig(epochs=1)
    first = train_local(model, state_of(model), training, config, seed=5)
    again = train_local(model, state_of(model), training, config, seed=5)
    other = train_local(model, state_of(model), training, config, seed=6)
    assert content_hash(first.state) == content_hash(again.state)
    assert content_hash(first.state) != content_hash(other.state)


def test_evaluation_reports_loss_accuracy_and_count(halves: tuple[Dataset, Dataset]) -> None:
    _, validation = halves
    model = build_model(ModelSpec("mlp", (1, 8, 8), 10), seed=0)
    result = evaluate(model, validation)
    assert result.samples == len(validation) and 0.0 <= result.accuracy <= 1.0
    assert abs(result.loss - torch.log(torch.tensor(10.0)).item()) < 0.3, "an untrained model is near uniform"


def test_the_validation_gradient_is_the_flat_gradient_of_the_mean_loss(halves: tuple[Dataset, Dataset]) -> None:
    _, validation = halves
    model = build_model(ModelSpec("mlp", (1, 8, 8), 10), seed=0)
    x, y = tensors(validation)
    gradient = validation_gradient(model, x, y)
    assert gradient.shape == (layout_of(state_of(model)).size,)
    # a small step against it lowers the loss by about step * |g|^2
    step = 1e-3
    start = state_of(model)
    moved = unflatten(flatten(start) - step * gradient, layout_of(start))
    drop = evaluate(model, validation).loss - evaluate(model, validation, moved).loss
    assert drop == pytest.approx(step * float(gradient @ gradient), rel=0.05)
    assert all(p.grad is None for p in model.parameters()), "no gradient is left on the model"


def test_train_config_refuses_nonsense_and_round_trips() -> None:
    config = TrainConfig(optimizer="sgd", lr=0.05, epochs=3, batch_size=16, momentum=0.5)
    assert TrainConfig.from_dict(config.to_dict()) == config
    for bad in ({"optimizer": "lbfgs"}, {"lr": 0.0}, {"epochs": 0}, {"batch_size": 0}, {"momentum": -1.0}):
        with pytest.raises(InputError):
            TrainConfig.from_dict(bad)


def test_training_on_nothing_is_refused(digits: Dataset) -> None:
    model = build_model(ModelSpec("mlp", (1, 8, 8), 10))
    with pytest.raises(InputError, match="empty"):
        train_local(model, state_of(model), digits.subset(torch.arange(0).numpy()), TrainConfig(), seed=0)
