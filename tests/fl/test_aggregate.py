"""FedAvg: the mean of the round's models, weighted by the sample count each reports."""

from __future__ import annotations

import pytest
import torch

from settlefl.errors import InputError
from settlefl_node.fl.aggregate import fedavg, sample_weights


def _state(value: float) -> dict[str, torch.Tensor]:
    return {"w": torch.full((2, 2), value), "b": torch.full((3,), -value)}


def test_fedavg_weights_each_model_by_its_sample_count() -> None:
    mean = fedavg([(_state(1.0), 100), (_state(5.0), 300)])
    assert torch.equal(mean["w"], torch.full((2, 2), 4.0))  # (1 * 100 + 5 * 300) / 400
    assert torch.equal(mean["b"], torch.full((3,), -4.0))
    equal = fedavg([(_state(1.0), 7), (_state(5.0), 7)])
    assert torch.equal(equal["w"], torch.full((2, 2), 3.0))


def test_fedavg_of_one_model_is_that_model_and_order_does_not_matter() -> None:
    one = _state(0.3)
    assert all(torch.equal(fedavg([(one, 42)])[k], one[k]) for k in one)
    updates = [(_state(0.1 * i), 10 + i) for i in range(5)]
    forward, backward = fedavg(updates), fedavg(list(reversed(updates)))
    assert all(torch.equal(forward[k], backward[k]) for k in forward)


def test_fedavg_refuses_empty_rounds_bad_counts_and_other_architectures() -> None:
    with pytest.raises(InputError, match="at least one"):
        fedavg([])
    with pytest.raises(InputError, match="positive sample count"):
        fedavg([(_state(1.0), 0)])
    with pytest.raises(InputError, match="other tensors"):
        fedavg([(_state(1.0), 1), ({"w": torch.zeros(2, 2)}, 1)])
    assert sample_weights([1, 3]) == [0.25, 0.75]
