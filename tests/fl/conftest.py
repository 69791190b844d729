"""Shared FL fixtures: the digits set, loaded once per session (scikit-learn's import is the slow part)."""

from __future__ import annotations

import pytest

from settlefl_node.fl.data import Dataset, load_digits


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_digits()
