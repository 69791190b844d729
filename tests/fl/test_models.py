"""The two models: shapes on every supported input, seeded initial weights, a serializable spec."""

from __future__ import annotations

import pytest
import torch

from settlefl.errors import InputError
from settlefl_node.fl.models import CNN, MLP, ModelSpec, build_model
from settlefl_node.fl.weights import content_hash, state_of


@pytest.mark.parametrize(
    ("arch", "shape"),
    [("mlp", (1, 8, 8)), ("cnn", (1, 8, 8)), ("mlp", (1, 28, 28)), ("cnn", (1, 28, 28)), ("cnn", (3, 32, 32))],
)
def test_models_map_a_batch_of_images_to_class_logits(arch: str, shape: tuple[int, int, int]) -> None:
    spec = ModelSpec.from_dict({"arch": arch, "input_shape": list(shape), "classes": 10})
    model = build_model(spec, seed=0)
    assert isinstance(model, MLP if arch == "mlp" else CNN)
    assert model(torch.zeros(5, *shape)).shape == (5, 10)
    assert all(t.dtype == torch.float32 for t in model.state_dict().values())
    assert not list(model.buffers()), "no buffers: a model is exactly its parameters"


def test_initial_weights_follow_the_seed_and_leave_the_global_generator_alone() -> None:
    spec = ModelSpec("mlp", (1, 8, 8), 10)
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = content_hash(state_of(build_model(spec, seed=5)))
    assert torch.equal(torch.rand(1), expected_next), "build_model must not consume the global generator"
    assert content_hash(state_of(build_model(spec, seed=5))) == first
    assert content_hash(state_of(build_model(spec, seed=6))) != first


def test_spec_round_trips_and_refuses_what_cannot_be_built() -> None:
    spec = ModelSpec("cnn", (3, 32, 32), 10, hidden=32)
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(InputError, match="at least 4x4"):
        ModelSpec("cnn", (1, 3, 3), 10)
    with pytest.raises(InputError, match="unknown model 'resnet'"):
        ModelSpec.from_dict({"arch": "resnet", "input_shape": [1, 8, 8], "classes": 10})
    with pytest.raises(InputError, match="input_shape"):
        ModelSpec.from_dict({"arch": "mlp", "classes": 10})
