"""The manifest of a circuit build: what was built, from what, with which setup.

A build directory (``<out>/<build name>/``) holds, per circuit, the main file, the r1cs, the witness
generator (wasm), the final zkey, the verification key and the Solidity verifier, plus one
``manifest.json`` describing them. Clients use the manifest to match a deployment's verifiers to a
verified setup (DESIGN.md, "Setup"): file hashes, constraint counts, the phase-2 contributions, and
whether the powers of tau came from a public ceremony or were made locally for development.

Layout (paths in the manifest are relative to the build directory)::

    manifest.json
    <circuit>/main.circom
    <circuit>/<circuit>.r1cs
    <circuit>/<circuit>_js/<circuit>.wasm
    <circuit>/<circuit>.zkey
    <circuit>/<circuit>.vkey.json
    <circuit>/<Template>Verifier.sol        (contract <Template>Verifier_<build name>)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from settlefl.circuits.spec import Circuit
from settlefl.params import BuildParams

MANIFEST_FORMAT: Final = "settlefl.build.v1"
MANIFEST_FILE = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: The artifacts every circuit of a build has.
ArtifactKind = Literal["main", "r1cs", "wasm", "zkey", "vkey", "verifier"]


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    sha256: str


class Contribution(BaseModel):
    """One phase-2 contribution (or the beacon) as snarkjs reports it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    hash: str
    kind: Literal["contribution", "beacon"] = "contribution"


class PtauInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str
    sha256: str
    power: int
    origin: Literal["development", "supplied"]
    note: str


class CircuitEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str
    args: list[int]
    public_inputs: list[str]
    constraints: int
    wires: int
    verifier_contract: str
    gamma_differs_from_delta: bool
    contributions: list[Contribution]
    files: dict[ArtifactKind, FileEntry]


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["settlefl.build.v1"] = MANIFEST_FORMAT
    build: str
    participants: int
    batch: int
    row_bits: int
    max_joins: int
    toolchain: dict[str, str]
    ptau: PtauInfo
    development: bool = Field(description="True when the setup is not fit for real money")
    circuits: dict[Circuit, CircuitEntry]

    @property
    def params(self) -> BuildParams:
        return BuildParams(self.participants, self.batch, self.row_bits, self.max_joins)

    @classmethod
    def load(cls, build_dir: Path) -> Manifest:
        path = Path(build_dir) / MANIFEST_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist: {build_dir} is not a SettleFL circuit build "
                "(make one with `settlefl circuits build`)"
            )
        return cls.model_validate_json(path.read_text())

    def save(self, build_dir: Path) -> None:
        (Path(build_dir) / MANIFEST_FILE).write_text(self.model_dump_json(indent=2) + "\n")

    def path(self, build_dir: Path, circuit: Circuit, kind: ArtifactKind) -> Path:
        """Absolute path of one artifact of one circuit."""
        return Path(build_dir) / self.circuits[circuit].files[kind].path
