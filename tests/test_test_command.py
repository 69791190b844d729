"""The test command sees every failure: each stage of scripts/test.sh exits non-zero on a planted ruff
error, mypy error, failing Foundry test and changed gas snapshot, and zero on the same project without it.

Each test runs the real stage of the real script on a small copy of the project (the script works on the
directory above itself): the same configuration files and scripts, the checkout's .venv and node_modules
linked in, and a few stand-in sources instead of the whole code base, so a stage takes seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# Plain contracts (no forge-std import, which takes solc-js half a minute to compile): forge runs every
# `test*` function of a contract in the test directory, and a revert is a failure.
PASSING_TEST = """// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

contract GasSnapshotProbeTest {
    uint256 internal stored;

    function test_store() public {
        stored = 7;
        require(stored == 7, "stored");
    }
}
"""

FAILING_TEST = """// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

contract PlantedFailureTest {
    function test_plantedFailure() public pure {
        require(false, "planted failure");
    }
}
"""

PYTHON_DIRS = ("settlefl", "node", "tests", "bench", "scripts")


def _project(repo_root: Path, where: Path) -> Path:
    """A copy of the project holding its scripts and configuration, with stand-in sources."""
    project = where / "project"
    (project / "scripts").mkdir(parents=True)
    for script in ("test.sh", "foundry", "solc"):
        shutil.copy2(repo_root / "scripts" / script, project / "scripts" / script)
    for config in ("pyproject.toml", "foundry.toml"):
        shutil.copy2(repo_root / config, project / config)
    for linked in (".venv", "node_modules"):
        (project / linked).symlink_to(repo_root / linked)
    for directory in PYTHON_DIRS:
        (project / directory).mkdir(exist_ok=True)
        (project / directory / "__init__.py").write_text('"""A stand-in package."""\n')
    (project / "typings").mkdir()
    (project / "typings" / "settlefl_node").symlink_to(Path("..") / "node")
    (project / "scripts" / "clean.py").write_text('"""A stand-in script."""\n\nANSWER: int = 42\n')
    (project / "contracts" / "src").mkdir(parents=True)
    (project / "contracts" / "test").mkdir()
    (project / "contracts" / "test" / "GasSnapshotProbe.t.sol").write_text(PASSING_TEST)
    return project


def _stage(project: Path, stage: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SETTLEFL_")}
    return subprocess.run(
        ["bash", str(project / "scripts" / "test.sh"), stage], cwd=project, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )


@pytest.fixture()
def project(repo_root: Path, tmp_path: Path) -> Path:
    return _project(repo_root, tmp_path)


@pytest.mark.slow
def test_the_lint_stage_passes_a_clean_project_and_fails_on_a_ruff_error(project: Path) -> None:
    clean = _stage(project, "lint")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (project / "settlefl" / "planted.py").write_text('"""A planted ruff error."""\n\nimport os\n')
    failed = _stage(project, "lint")
    assert failed.returncode != 0
    assert "F401" in failed.stdout + failed.stderr  # `os` imported but unused


@pytest.mark.slow
def test_the_lint_stage_fails_on_a_mypy_error_in_any_python_directory(project: Path) -> None:
    # ruff accepts this file; only the type checker can refuse it.
    (project / "scripts" / "planted.py").write_text('"""A planted type error."""\n\nANSWER: int = "forty-two"\n')
    failed = _stage(project, "lint")
    assert failed.returncode != 0
    assert re.search(r"scripts/planted\.py:3: error: Incompatible types in assignment", failed.stdout), failed.stdout


@pytest.mark.slow
def test_the_foundry_stage_fails_on_a_failing_test_and_on_a_changed_gas_snapshot(project: Path) -> None:
    foundry = [str(project / "scripts" / "foundry"), "forge"]
    made = subprocess.run(
        [*foundry, "snapshot", "--match-contract", "GasSnapshot"], cwd=project, capture_output=True, text=True,
        timeout=600, check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    clean = _stage(project, "foundry")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    snapshot = project / ".gas-snapshot"
    recorded = snapshot.read_text()
    snapshot.write_text(re.sub(r"\(gas: (\d+)\)", lambda m: f"(gas: {int(m[1]) * 2})", recorded))
    changed = _stage(project, "foundry")
    assert changed.returncode != 0
    assert "gas snapshot changed" in changed.stderr

    snapshot.write_text(recorded)
    (project / "contracts" / "test" / "PlantedFailure.t.sol").write_text(FAILING_TEST)
    failing = _stage(project, "foundry")
    assert failing.returncode != 0
    assert "planted failure" in failing.stdout + failing.stderr
