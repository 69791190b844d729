"""FedAvg: the next global model is the sample-weighted mean of the round's models.

Weighting by sample count makes the average the model that one pass over the union of the shards would
move towards, rather than letting a participant with 20 samples pull as hard as one with 2,000. The
count is the one number a participant reports about itself that the aggregator uses; it cannot be checked
without the data, so the service should cap it at what the participant registered with (a later issue),
and the scorer never reads it as merit: a large count buys weight in the average, and the scorer then
prices what that weight did to the validation loss (:mod:`.scoring`).

The mean is taken in float64 over the flat vectors and rounded to float32 once, so the result does not
depend on the order of the updates beyond that one rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from settlefl.errors import InputError

from .weights import StateDict, flatten, layout_of, unflatten


def sample_weights(samples: Sequence[int]) -> list[float]:
    """Each count's share of the total: the FedAvg weights."""
    if not samples:
        raise InputError("FedAvg needs at least one update")
    if any(n <= 0 for n in samples):
        raise InputError(f"every update must report a positive sample count, got {list(samples)}")
    total = sum(samples)
    return [n / total for n in samples]


def fedavg(updates: Sequence[tuple[Mapping[str, torch.Tensor], int]]) -> StateDict:
    """The sample-weighted mean of ``(state, samples)`` pairs; every state must have the same layout."""
    weights = sample_weights([n for _, n in updates])
    layout = layout_of(updates[0][0])
    for index, (state, _) in enumerate(updates):
        if layout_of(state) != layout:
            raise InputError(f"update {index} has other tensors than update 0: ({layout_of(state).describe()}) "
                             f"vs ({layout.describe()})")
    mean = torch.zeros(layout.size, dtype=torch.float64)
    for (state, _), weight in zip(updates, weights, strict=True):
        mean += weight * flatten(state).to(torch.float64)
    return unflatten(mean.to(torch.float32), layout)
