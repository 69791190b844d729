"""Shared FL fixtures: the digits set, loaded once per session (scikit-learn's import is the slow part).

torch runs on one thread here: these models are so small that a second intra-op thread only adds
synchronization, and on a loaded 2-core machine its spinning made an epoch 30 times slower (0.3 s
instead of 0.01 s for the MLP on 400 digits).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from settlefl_node.fl.data import Dataset, load_digits


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_digits()


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
