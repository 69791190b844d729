"""Shared fixtures: the repository paths, circomlibjs as a reference, and a real anvil chain."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from settlefl.devchain import Anvil

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def circomlibjs() -> Callable[[list[dict[str, Any]]], list[Any]]:
    """Run a batch of requests through circomlibjs (tests/js/circomlib_ref.js) in one node process."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; run scripts/setup.sh")

    def run(requests_: list[dict[str, Any]]) -> list[Any]:
        proc = subprocess.run(
            [node, str(ROOT / "tests" / "js" / "circomlib_ref.js")],
            input=json.dumps(requests_), capture_output=True, text=True, timeout=300, check=False,
        )
        if proc.returncode:
            raise RuntimeError(f"circomlibjs reference failed: {proc.stderr}")
        return list(json.loads(proc.stdout))

    return run


@pytest.fixture()
def anvil() -> Iterator[Anvil]:
    """A fresh chain per test on a free port of 127.0.0.1: no state leaks between tests."""
    chain = Anvil("--silent")
    try:
        yield chain
    finally:
        chain.stop()
