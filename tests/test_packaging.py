"""The package works outside the checkout: a wheel built from the sources, installed alone (with its
dependencies) into a fresh virtual environment, runs the CLI and proves and verifies a Receipt with the
committed test build given by path.

Slow (about a minute the first time, mostly pip; the dependency wheels are then cached under
``<SETTLEFL_CACHE>/wheel-test/``, keyed by the dependency list, and later runs take about 30 s). Needs the
PyPI registry (or pip's cache) the first time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from settlefl.settings import settings

#: What the wheel is built from: the package, the node, and the circom sources (not the builds).
SOURCES = ("pyproject.toml", "README.md", "LICENSE")
COMMITTED_BUILD = Path("circuits") / "builds" / "n32_b16_k32_j4"
#: Installed separately, as in scripts/setup.sh: it declares Python >= 3.12 but runs on 3.11.
CIRCOMLIBPY = "circomlibpy==1.0.0"

PROVE_A_RECEIPT = """
import json, sys
from pathlib import Path

import settlefl
from settlefl.circuits.prover import Prover
from settlefl.circuits.spec import Circuit
from settlefl.crypto import FIELD_MODULUS, eddsa
from settlefl.settings import settings
from settlefl.state import RewardState, RoundUpdate, job_domain, job_id, round_salt

build, key_file = Path(sys.argv[1]), Path(sys.argv[2])
prover = Prover(build)
domain = job_domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                    job_id("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 1))
genesis = RewardState.genesis(prover.params, domain, 10**6, [0x1000 + i for i in range(3)])
state = genesis.apply_round(RoundUpdate([(0, 5), (2, 7)]), round_salt(99, domain, 1))
key = eddsa.load_private_key(key_file)
sender = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
proved = prover.prove_receipt(state, eddsa.sign(key, state.commitment), eddsa.public_key(key), sender)
assert prover.verify(Circuit.RECEIPT, proved.proof, proved.public_inputs)
other = [(proved.public_inputs[0] + 1) % FIELD_MODULUS, *proved.public_inputs[1:]]
assert not prover.verify(Circuit.RECEIPT, proved.proof, other)
import importlib, pkgutil
for module in pkgutil.walk_packages(settlefl.__path__, "settlefl."):  # every module ships and imports
    importlib.import_module(module.name)
current = settings()
print(json.dumps({"package": settlefl.__file__, "circuits": str(current.circuits_dir),
                  "checkout": str(current.source_root), "seconds": proved.seconds}))
"""


def _pyproject(repo_root: Path) -> dict[str, Any]:
    return tomllib.loads((repo_root / "pyproject.toml").read_text())


def test_every_python_package_of_the_library_is_listed_for_the_wheel(repo_root: Path) -> None:
    listed = set(_pyproject(repo_root)["tool"]["setuptools"]["packages"])
    inits = (repo_root / "settlefl").rglob("__init__.py")
    found = {".".join(init.parent.relative_to(repo_root).parts) for init in inits}
    # node/ installs as settlefl_node (package-dir), so node/fl/ is the package settlefl_node.fl.
    node_inits = (repo_root / "node").rglob("__init__.py")
    found |= {".".join(("settlefl_node", *init.parent.relative_to(repo_root / "node").parts)) for init in node_inits}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert "settlefl_node" in listed


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"{' '.join(command)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _copy_sources(repo_root: Path, to: Path) -> Path:
    """The files the wheel is made of, copied, so that building leaves nothing in the checkout."""
    to.mkdir(parents=True)
    for name in SOURCES:
        shutil.copy2(repo_root / name, to / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(repo_root / "settlefl", to / "settlefl", ignore=skip)
    shutil.copytree(repo_root / "node", to / "node", ignore=skip)
    (to / "circuits" / "lib").mkdir(parents=True)
    for source in [*repo_root.glob("circuits/*.circom"), *repo_root.glob("circuits/lib/*.circom")]:
        shutil.copy2(source, to / source.relative_to(repo_root))
    return to


def _wheelhouse(repo_root: Path, wheel: Path) -> Path:
    """The dependency wheels of this package, downloaded once per dependency list and kept."""
    project = _pyproject(repo_root)["project"]
    key = hashlib.sha256(json.dumps([sys.version, project["dependencies"], CIRCOMLIBPY]).encode()).hexdigest()[:16]
    house = settings().cache_dir / "wheel-test" / key
    if not (house / ".complete").exists():
        house.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "-d", str(house)]
        _run([*pip, str(wheel)], cwd=house)
        _run([*pip, "--no-deps", "--ignore-requires-python", CIRCOMLIBPY], cwd=house)
        (house / wheel.name).unlink(missing_ok=True)  # the package itself is rebuilt every run
        (house / ".complete").touch()
    return house


@pytest.mark.slow
def test_a_wheel_installed_alone_runs_the_cli_and_proves_a_receipt_with_a_build_given_by_path(
    repo_root: Path, tmp_path: Path
) -> None:
    build_dir = repo_root / COMMITTED_BUILD
    if not (build_dir / "receipt" / "receipt_js" / "receipt.wasm").exists():
        pytest.fail(f"{build_dir} has no wasm: run scripts/setup.sh (it materializes the committed build)")
    sources = _copy_sources(repo_root, tmp_path / "src")
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(sources)], cwd=tmp_path)
    [wheel] = wheels.glob("settlefl-*.whl")
    house = _wheelhouse(repo_root, wheel)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-index", "--find-links", str(house)]
    _run([*pip, str(wheel)], cwd=tmp_path)
    _run([*pip, "--no-deps", "--ignore-requires-python", CIRCOMLIBPY], cwd=tmp_path)

    outside = tmp_path / "elsewhere"  # not the checkout: nothing may be imported from there
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SETTLEFL_", "PYTHON", "VIRTUAL_ENV"))}
    env["SETTLEFL_NODE_MODULES"] = str(repo_root / "node_modules")
    settlefl = str(venv / "bin" / "settlefl")
    assert "keygen" in _run([settlefl, "--help"], cwd=outside, env=env)
    assert "pubHash" in _run([settlefl, "keygen", str(outside / "k.json")], cwd=outside, env=env)

    python = str(venv / "bin" / "python")
    report = json.loads(_run([python, "-c", PROVE_A_RECEIPT, str(build_dir), str(outside / "k.json")], outside, env))
    assert Path(report["package"]).is_relative_to(venv), "settlefl was imported from outside the fresh venv"
    assert report["checkout"] == "None"
    packaged = Path(report["circuits"])
    assert packaged.is_relative_to(venv) and packaged.parts[-3:] == ("settlefl", "circuits", "sources")
    shipped = sorted(p.relative_to(packaged) for p in packaged.rglob("*.circom"))
    expected = sorted(p.relative_to(repo_root / "circuits") for p in repo_root.glob("circuits/**/*.circom")
                      if "builds" not in p.parts)
    assert shipped == expected
    for name in shipped:
        assert (packaged / name).read_bytes() == (repo_root / "circuits" / name).read_bytes()
