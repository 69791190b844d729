"""Contract artifacts (ABI and bytecode) as Foundry compiles them.

Clients bind to the contract through the ABI in Foundry's output (``contracts/out/<File>.sol/<Name>.json``,
made by ``forge build``); nothing here hand-writes an ABI encoding. A circuit build's Solidity verifiers
live with the build (``<build>/<circuit>/<Template>Verifier.sol``); :func:`compile_verifier` compiles one
with the project's pinned solc and settings, so a deployment's verifier code can be compared with what the
build's manifest vouches for.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from settlefl.devchain import foundry_binary
from settlefl.errors import ToolError
from settlefl.settings import settings

#: The optimizer settings of foundry.toml; verifiers compiled on their own must use the same.
OPTIMIZER_RUNS = 10_000
EVM_VERSION = "prague"


class ArtifactError(ToolError):
    """An artifact is missing or cannot be compiled; the message says how to make it."""


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes

    @classmethod
    def from_file(cls, path: Path) -> Artifact:
        data = json.loads(path.read_text())
        return cls(
            name=path.stem,
            abi=data["abi"],
            bytecode=bytes.fromhex(data["bytecode"]["object"].removeprefix("0x")),
            deployed_bytecode=bytes.fromhex(data["deployedBytecode"]["object"].removeprefix("0x")),
        )


def out_dir() -> Path:
    """The Foundry output directory: the settings' ``contracts_out`` (``SETTLEFL_CONTRACTS_OUT``)."""
    return settings().contracts_out


def _solc_shim() -> Path:
    """forge's solc: ``scripts/solc`` of the source checkout, a shim around the pinned npm solc-js."""
    root = settings().source_root
    if root is None:
        raise ArtifactError("compiling a verifier needs a source checkout (its scripts/solc wraps the pinned solc-js)")
    return root / "scripts" / "solc"


@cache
def load_artifact(name: str, directory: Path | None = None) -> Artifact:
    """The artifact of contract ``name`` (e.g. ``SettleFL``) from Foundry's output."""
    base = directory or out_dir()
    matches = sorted(base.glob(f"*/{name}.json"))
    if not matches:
        raise ArtifactError(
            f"no compiled artifact for {name} in {base}: run `forge build` (scripts/setup.sh does) or set "
            "SETTLEFL_CONTRACTS_OUT to a Foundry output directory"
        )
    return Artifact.from_file(matches[0])


def strip_metadata(code: bytes) -> bytes:
    """Runtime code without solc's trailing CBOR metadata (it hashes the source path, not the program)."""
    if len(code) < 2:
        return code
    length = int.from_bytes(code[-2:], "big") + 2
    return code[:-length] if length <= len(code) else code


@cache
def compile_verifier(source: Path, contract: str) -> Artifact:
    """Compile one snarkjs verifier on its own with the project's pinned solc and optimizer settings."""
    return compile_verifiers(((source, contract),))[contract]


_COMPILED: dict[tuple[str, str], Artifact] = {}


def compile_verifiers(sources: Sequence[tuple[Path, str]]) -> dict[str, Artifact]:
    """Compile several snarkjs verifiers in one forge run (solc-js starts once: about 4 s instead of about
    4 s each) with the project's pinned solc and optimizer settings; keyed by contract name, which must be
    unique. Results are cached by source content, so an edited file is compiled again."""
    names = [contract for _, contract in sources]
    if len(set(names)) != len(names):
        raise ArtifactError(f"verifiers compiled together need distinct contract names, got {names}")
    texts = {contract: Path(source).read_text() for source, contract in sources}
    keys = {contract: (contract, hashlib.sha256(text.encode()).hexdigest()) for contract, text in texts.items()}
    todo = [contract for contract in names if keys[contract] not in _COMPILED]
    if todo:
        with tempfile.TemporaryDirectory(prefix="settlefl-verifier-") as tmp:
            root = Path(tmp)
            (root / "src").mkdir()
            for contract in todo:
                (root / "src" / f"{contract}.sol").write_text(texts[contract])
            command = [
                str(foundry_binary("forge")), "build", "--root", str(root), "--contracts", "src", "--out",
                str(root / "out"), "--use", str(_solc_shim()), "--offline", "--optimize",
                "--optimizer-runs", str(OPTIMIZER_RUNS), "--evm-version", EVM_VERSION,
            ]
            proc = subprocess.run(command, capture_output=True, text=True, check=False)
            if proc.returncode:
                raise ArtifactError(f"compiling {', '.join(todo)} failed: {proc.stderr.strip()[-2000:]}")
            for contract in todo:
                _COMPILED[keys[contract]] = Artifact.from_file(root / "out" / f"{contract}.sol" / f"{contract}.json")
    return {contract: _COMPILED[keys[contract]] for contract in names}
