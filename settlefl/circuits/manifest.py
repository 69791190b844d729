"""The manifest of a circuit build: what was built, from what, with which setup.

A build directory (``<out>/<build name>/``) holds, per circuit, the main file, the r1cs, the witness
generator (wasm), the final zkey, the verification key and the Solidity verifier, plus one
``manifest.json`` describing them. Clients use the manifest to match a deployment's verifiers to a
verified setup (docs/protocol.md, "Setup"): file hashes, constraint counts, the phase-2 contributions, and
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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from settlefl.circuits.spec import Circuit
from settlefl.errors import BadFile
from settlefl.files import read_json, require_file
from settlefl.params import BuildParams

MANIFEST_FORMAT: Final = "settlefl.build.v1"
MANIFEST_FILE = "manifest.json"


#: What to do about a damaged manifest: the manifest is what clients check a deployment against.
_DAMAGED = "restore it from where the build came from (e.g. `git checkout` it) or rebuild: `settlefl circuits build`"


def _first_problem(exc: ValidationError) -> str:
    """pydantic's first complaint in one line (``circuits.opening.constraints: Field required``)."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "the top level"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


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
        """Read ``<build_dir>/manifest.json``; any problem is one :class:`BadFile` line naming the file."""
        if not Path(build_dir).is_dir():
            raise BadFile(
                build_dir, "no such directory: it is not a SettleFL circuit build",
                "pass a directory made by `settlefl circuits build`",
            )
        path = require_file(
            Path(build_dir) / MANIFEST_FILE, "the build manifest",
            "this is not a SettleFL circuit build: pass a directory made by `settlefl circuits build`",
        )
        body = read_json(path, "the build manifest", _DAMAGED)
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            raise BadFile(path, f"the build manifest is not valid: {_first_problem(exc)}", _DAMAGED) from None

    def save(self, build_dir: Path) -> None:
        (Path(build_dir) / MANIFEST_FILE).write_text(self.model_dump_json(indent=2) + "\n")

    def path(self, build_dir: Path, circuit: Circuit, kind: ArtifactKind) -> Path:
        """Absolute path of one artifact of one circuit."""
        return Path(build_dir) / self.circuits[circuit].files[kind].path
