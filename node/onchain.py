"""The chain side of the node: ``settlefl deploy``, ``settlefl watch``, and how every node builds its role.

:func:`role_context` is the one place a node turns a deployment record, a key and a circuit build into a
role's context; it checks the deployment's verifiers against the build first.

Each is a thin layer over :mod:`settlefl.chain` and :mod:`settlefl.roles`: parse options, build the
objects, run, print for a person. Keys come from 0600 key files and are never printed.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table

from settlefl.chain.artifacts import load_artifact
from settlefl.chain.client import Chain, Sender
from settlefl.chain.contract import Phase, SettleFL
from settlefl.chain.deploy import Bounds, Deployer, Deployment, check_deployment
from settlefl.chain.errors import ErrorDecoder
from settlefl.chain.keys import load_account
from settlefl.circuits.manifest import Manifest
from settlefl.circuits.prover import Prover
from settlefl.errors import InputError
from settlefl.files import require_file
from settlefl.roles.follower import RoleContext, Timing
from settlefl.roles.participant import Watchtower
from settlefl.roles.store import RoleStore
from settlefl.settings import settings

log = logging.getLogger(__name__)
console = Console()


def deploy(rpc: str, key_file: Path, builds: list[Path], bounds: Bounds, out: Path | None) -> Deployment:
    """Deploy the builds' verifiers and SettleFL, save the deployment record, and check it."""
    if not builds:
        raise InputError("give at least one circuit build directory with --build")
    for build in builds:
        Manifest.load(build)  # a one-line BadFile for a missing or damaged build, before any transaction
    chain = Chain(rpc)
    account = load_account(key_file)
    deployer = Deployer(chain, Sender(chain, account, decoder=ErrorDecoder([load_artifact("SettleFL").abi])))
    deployment = deployer.deploy(builds, bounds)
    check_deployment(chain, deployment, {Manifest.load(b).build: b for b in builds})
    path = deployment.save(out or settings().deployments_dir)
    table = Table(title=f"SettleFL on chain {deployment.chain_id}")
    table.add_column("contract")
    table.add_column("address", no_wrap=True, min_width=42)
    table.add_column("gas", justify="right")
    table.add_row("SettleFL", deployment.settlefl, f"{deployer.gas_used.get('SettleFL', 0):,}")
    table.add_row("SettleFLExtension", deployment.extension, f"{deployer.gas_used.get('SettleFLExtension', 0):,}")
    for record in deployment.builds:
        for circuit, address in record.verifiers.items():
            table.add_row(f"{circuit} verifier ({record.name})", address, "")
    console.print(table)
    console.print(f"deployment record: {path} (block {deployment.deploy_block})")
    return deployment


def watch(rpc: str, key_file: Path, deployment_file: Path, job: str, receipts: Path, build: Path,
          state: Path | None, interval: float, once: bool) -> None:
    """Defend the participants whose receipts lie in ``receipts`` until their job completes."""
    job_id = parse_job_id(job)
    chain = Chain(rpc)
    store = RoleStore(state or settings().state_dir / f"watchtower-{job_id.hex()[:16]}.sqlite")
    ctx = role_context(chain, load_deployment(deployment_file), load_account(key_file), build, store, Timing())
    tower = Watchtower(ctx, job_id)
    seen: set[Path] = set()
    while True:
        for path in sorted(receipts.glob("*.json")):
            if path in seen:
                continue
            seen.add(path)
            payee = path.stem.split("-")[0]
            verdict = tower.register(path.read_text(), payee)
            console.print(f"{path.name}: {verdict.status} {verdict.reason}".rstrip())
        for action in tower.tick():
            console.print(action)
        if once or tower.refresh().phase is Phase.COMPLETED:
            return
        time.sleep(interval)


def parse_job_id(job: str) -> bytes:
    """The 32 bytes of a ``--job`` option (0x and 64 hex digits); :class:`InputError` otherwise."""
    try:
        value = bytes.fromhex(job.removeprefix("0x"))
    except ValueError:
        value = b""
    if len(value) != 32:
        raise InputError(f"--job {job!r} is not 32 bytes of hex")
    return value


def load_deployment(path: Path) -> Deployment:
    """A deployment record written by ``settlefl deploy``."""
    record = require_file(path, "deployment record", "pass the file `settlefl deploy` wrote")
    return Deployment.model_validate_json(record.read_text())


def role_context(chain: Chain, deployment: Deployment, account: LocalAccount, build: Path, store: RoleStore,
                 timing: Timing) -> RoleContext:
    """Everything a role acts with, once the deployment's verifiers are checked against ``build``.

    Every node builds its role this way: nobody acts for a deployment whose verifiers are not the build's.
    """
    prover = Prover(build)
    check_deployment(chain, deployment, {prover.params.name: build})
    settle = SettleFL(chain, deployment.settlefl)
    return RoleContext(chain, settle, deployment, settle.sender(account), store, prover, timing)
