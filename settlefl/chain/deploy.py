"""Deploying a build's verifiers and SettleFL, the deployment record, and checking a deployment.

Whoever knows a setup's toxic waste can forge every proof, so a client never trusts a deployment it has
not matched to a build manifest it verified: :func:`check_deployment` compares the code at every verifier
address the contract names with the verifier compiled from the build's own Solidity source (whose hash the
manifest vouches for), and the contract's own code with the project's artifact (immutables masked).

A :class:`Deployment` record (one JSON file per chain id) holds the addresses, each build's name and
manifest hash and the deploy block, so later commands only need ``--rpc`` and the record.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address
from pydantic import BaseModel, ConfigDict

from settlefl.chain.artifacts import Artifact, compile_verifiers, load_artifact, strip_metadata
from settlefl.chain.client import Chain, Sender
from settlefl.chain.contract import BuildView, SettleFL
from settlefl.chain.errors import DeploymentMismatch
from settlefl.circuits.manifest import MANIFEST_FILE, Manifest, sha256_file
from settlefl.circuits.spec import SPECS, Circuit

log = logging.getLogger(__name__)

DEPLOYMENT_FORMAT = "settlefl.deployment.v1"
#: The order of the verifiers in the contract's ``BuildConfig``.
VERIFIER_ORDER = (Circuit.OPENING, Circuit.TRANSITION, Circuit.RECEIPT, Circuit.PAYOUT)


@dataclass(frozen=True)
class Bounds:
    """The deployment-wide bounds (``ISettleFLTypes.Minimums``)."""

    bond_bps: int = 1000
    challenger_bond: int = 10**15
    request_fee: int = 10**14
    challenge_window: int = 3600
    response_window: int = 3600
    inactivity_timeout: int = 3600
    max_duration: int = 365 * 86400

    def as_abi(self) -> tuple[int, ...]:
        return (self.bond_bps, self.challenger_bond, self.request_fee, self.challenge_window, self.response_window,
                self.inactivity_timeout, self.max_duration)


class BuildRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int
    name: str
    manifest_sha256: str
    participants: int
    batch: int
    verifiers: dict[str, str]


class Deployment(BaseModel):
    """Where a SettleFL deployment lives and which builds it verifies proofs with."""

    model_config = ConfigDict(extra="forbid")

    format: str = DEPLOYMENT_FORMAT
    chain_id: int
    settlefl: str
    extension: str
    deploy_block: int
    builds: list[BuildRecord]
    bounds: dict[str, int] = {}

    @staticmethod
    def path_for(directory: Path, chain_id: int) -> Path:
        return Path(directory) / f"{chain_id}.json"

    def save(self, directory: Path) -> Path:
        path = self.path_for(directory, self.chain_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n")
        return path

    @classmethod
    def load(cls, directory: Path, chain_id: int) -> Deployment:
        path = cls.path_for(directory, chain_id)
        if not path.exists():
            raise DeploymentMismatch(
                f"no deployment record for chain {chain_id} at {path}: run `settlefl deploy` first"
            )
        return cls.model_validate_json(path.read_text())

    def build(self, name: str) -> BuildRecord:
        for record in self.builds:
            if record.name == name:
                return record
        raise DeploymentMismatch(f"this deployment has no build {name} (it has {[b.name for b in self.builds]})")


def manifest_hash(build_dir: Path) -> str:
    return sha256_file(Path(build_dir) / MANIFEST_FILE)


def verifier_artifact(build_dir: Path, manifest: Manifest, circuit: Circuit) -> Artifact:
    """The compiled verifier of one circuit of a build: the project's artifact when it was compiled from
    this very source, else a fresh compile with the same settings."""
    return verifier_artifacts(build_dir, manifest, (circuit,))[circuit]


def verifier_artifacts(build_dir: Path, manifest: Manifest,
                       circuits: Sequence[Circuit] = VERIFIER_ORDER) -> dict[Circuit, Artifact]:
    """The compiled verifiers of a build's circuits (see :func:`verifier_artifact`); whatever the project's
    artifacts do not hold is compiled in one forge run. Refuses a source that does not match its manifest."""
    out: dict[Circuit, Artifact] = {}
    todo: list[tuple[Circuit, Path, str]] = []
    for circuit in circuits:
        source = manifest.path(build_dir, circuit, "verifier")
        if sha256_file(source) != manifest.circuits[circuit].files["verifier"].sha256:
            raise DeploymentMismatch(f"{source} does not match its manifest: the build directory was altered")
        contract = manifest.circuits[circuit].verifier_contract
        try:
            artifact = load_artifact(contract)
            data = json.loads(Path(_artifact_path(contract)).read_text())
            digest = "0x" + keccak(source.read_bytes()).hex()
            if any(s.get("keccak256") == digest for s in data["metadata"]["sources"].values()):
                out[circuit] = artifact
                continue
        except Exception:  # noqa: BLE001 - no project artifact for this build: compile it on its own
            pass
        todo.append((circuit, source, contract))
    if todo:
        compiled = compile_verifiers([(source, contract) for _, source, contract in todo])
        out |= {circuit: compiled[contract] for circuit, _, contract in todo}
    return out


def _artifact_path(name: str) -> Path:
    from settlefl.chain.artifacts import out_dir

    return sorted(out_dir().glob(f"*/{name}.json"))[0]


@dataclass
class Deployer:
    """Deploys verifier sets and SettleFL from one account."""

    chain: Chain
    sender: Sender
    gas_used: dict[str, int] = field(default_factory=dict)

    def deploy_code(self, artifact: Artifact, constructor_args: Sequence[Any] = (), label: str = "") -> str:
        factory = self.chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx = factory.constructor(*constructor_args).build_transaction(
            {"from": self.sender.address, "gas": 29_000_000, "nonce": 0, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1}
        )
        receipt = self.sender.send_raw(tx, f"deploy {label or artifact.name}")
        self.gas_used[label or artifact.name] = int(receipt["gasUsed"])
        if receipt["contractAddress"] is None:
            raise DeploymentMismatch(f"deploying {label or artifact.name} created no contract")
        return to_checksum_address(receipt["contractAddress"])

    def deploy(self, build_dirs: Sequence[Path], bounds: Bounds = Bounds(),
               tokens: Sequence[tuple[str, int]] = ()) -> Deployment:
        builds, records = [], []
        start = self.chain.block_number()
        for index, build_dir in enumerate(build_dirs):
            manifest = Manifest.load(build_dir)
            addresses = {}
            for circuit in VERIFIER_ORDER:
                artifact = verifier_artifact(build_dir, manifest, circuit)
                addresses[circuit.value] = self.deploy_code(artifact, label=f"{SPECS[circuit].verifier_contract} "
                                                                          f"({manifest.build})")
            builds.append((manifest.participants, manifest.batch, *(addresses[c.value] for c in VERIFIER_ORDER)))
            records.append(BuildRecord(index=index, name=manifest.build, manifest_sha256=manifest_hash(build_dir),
                                       participants=manifest.participants, batch=manifest.batch, verifiers=addresses))
        # The extension first (embedding its creation code in SettleFL's would exceed EIP-3860's initcode
        # limit); SettleFL's constructor refuses it unless it was made for the same builds and bounds.
        extension = self.deploy_code(load_artifact("SettleFLExtension"), (builds, bounds.as_abi()), "SettleFLExtension")
        address = self.deploy_code(load_artifact("SettleFL"), (builds, list(tokens), bounds.as_abi(), extension),
                                   "SettleFL")
        deployment = Deployment(chain_id=self.chain.chain_id, settlefl=address, extension=extension,
                                deploy_block=start, builds=records, bounds=dict(zip(
                                    ("bond_bps", "challenger_bond", "request_fee", "challenge_window",
                                     "response_window", "inactivity_timeout", "max_duration"),
                                    bounds.as_abi(), strict=True)))
        log.info("deployed SettleFL at %s on chain %d", address, deployment.chain_id)
        return deployment


def _masked(code: bytes, artifact: Artifact, refs: dict[str, Any]) -> bytes:
    out = bytearray(code)
    for ranges in refs.values():
        for r in ranges:
            out[r["start"] : r["start"] + r["length"]] = b"\0" * r["length"]
    return strip_metadata(bytes(out))


def check_code(chain: Chain, address: str, artifact_name: str, what: str) -> None:
    """Refuse (:class:`DeploymentMismatch`) unless the code at ``address`` is this project's ``artifact_name``,
    immutables masked (they hold deployment-specific addresses) and solc's metadata stripped."""
    artifact = load_artifact(artifact_name)
    data = json.loads(_artifact_path(artifact_name).read_text())
    refs = data["deployedBytecode"].get("immutableReferences", {})
    onchain = bytes(chain.w3.eth.get_code(to_checksum_address(address)))
    if _masked(onchain, artifact, refs) != _masked(artifact.deployed_bytecode, artifact, refs):
        raise DeploymentMismatch(f"the code at {address} is not this project's {what}")


def build_verifiers(build: BuildView) -> dict[Circuit, str]:
    """The verifier addresses of an on-chain build, by circuit."""
    return dict(zip(VERIFIER_ORDER, (build.opening, build.transition, build.receipt, build.payout), strict=True))


@dataclass(frozen=True)
class VerifierMismatch:
    """One verifier of an on-chain build that is not the one compiled from a build's verified source."""

    circuit: Circuit
    address: str
    build: str

    def __str__(self) -> str:
        return (f"the {self.circuit.value} verifier at {self.address} does not match build {self.build}'s "
                "verification key: whoever made it could forge every proof; refuse this deployment")


def verifier_mismatches(chain: Chain, build: BuildView, build_dir: Path) -> list[VerifierMismatch]:
    """Compare each verifier of ``build`` (as the contract names them) with the verifier compiled from
    ``build_dir``'s manifest-verified Solidity source; returns every one that differs.

    Raises :class:`DeploymentMismatch` when the build directory itself is altered (a file no longer matches
    its manifest) or is for other parameters (N, B) than the on-chain build.
    """
    manifest = Manifest.load(build_dir)
    if (build.participants, build.batch_size) != (manifest.participants, manifest.batch):
        raise DeploymentMismatch(
            f"the contract's build has N = {build.participants}, B = {build.batch_size}; {build_dir} is "
            f"{manifest.build} (N = {manifest.participants}, B = {manifest.batch})"
        )
    out = []
    artifacts = verifier_artifacts(build_dir, manifest)
    for circuit, address in build_verifiers(build).items():
        expected = artifacts[circuit]
        code = bytes(chain.w3.eth.get_code(to_checksum_address(address)))
        if not code or strip_metadata(code) != strip_metadata(expected.deployed_bytecode):
            out.append(VerifierMismatch(circuit, to_checksum_address(address), manifest.build))
    return out


def check_deployment(chain: Chain, deployment: Deployment, build_dirs: dict[str, Path]) -> None:
    """Refuse a deployment whose code does not match the verified builds (raises :class:`DeploymentMismatch`).

    ``build_dirs`` maps build names to the build directories (with manifests) the client trusts.
    """
    if chain.chain_id != deployment.chain_id:
        raise DeploymentMismatch(
            f"the record is for chain {deployment.chain_id}, the endpoint is chain {chain.chain_id}"
        )
    settle = SettleFL(chain, deployment.settlefl)
    check_code(chain, deployment.settlefl, "SettleFL", "SettleFL")
    check_code(chain, deployment.extension, "SettleFLExtension", "extension")
    if settle.build_count() != len(deployment.builds):
        raise DeploymentMismatch("the contract's builds differ from the deployment record")
    for record in deployment.builds:
        build_dir = build_dirs.get(record.name)
        if build_dir is None:
            raise DeploymentMismatch(f"no verified build directory for {record.name}: pass it with --build")
        if manifest_hash(build_dir) != record.manifest_sha256:
            raise DeploymentMismatch(f"{build_dir}/manifest.json is not the manifest the deployment was made from")
        on_chain = settle.build_at(record.index)
        try:
            mismatches = verifier_mismatches(chain, on_chain, build_dir)
        except DeploymentMismatch as exc:
            raise DeploymentMismatch(f"build {record.index} of the contract is not {record.name}: {exc}") from exc
        if mismatches:
            raise DeploymentMismatch(str(mismatches[0]))


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
