"""``settlefl demo``: a whole settlement on a local chain, every party a separate process talking HTTP.

The demo starts its own anvil (one block a second, so deadlines pass in real time), deploys the
verifiers and SettleFL with short windows, writes key files, starts ``settlefl node aggregator`` and
``N`` times ``settlefl node participant`` as child processes (each on its own shard of the digits set),
watches the job through the aggregator's API until every participant is paid, audits the job from chain
data alone, and prints the settlement, the gas of every operation (from the transactions' receipts) and
the time of every phase. ``--malicious`` makes the aggregator cut one participant's units in round 2;
the participants then challenge, the aggregator cannot answer, the fault resolves and payouts are pro
rata with the aggregator's bond split among the payees.

Nothing here is simulated: the processes are the ones a user runs, with the same options.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from settlefl.audit.auditor import audit
from settlefl.audit.report import AuditReport
from settlefl.chain.artifacts import load_artifact
from settlefl.chain.client import Chain, Sender
from settlefl.chain.contract import SettleFL
from settlefl.chain.deploy import Bounds, Deployer
from settlefl.chain.errors import ErrorDecoder
from settlefl.chain.keys import save_account
from settlefl.crypto import eddsa
from settlefl.devchain import Anvil, free_port
from settlefl.errors import InputError, SettleFLError
from settlefl.settings import settings

log = logging.getLogger(__name__)

#: The deployment's windows for the demo: short, so a job settles in about a minute of real time.
DEMO_BOUNDS = Bounds(
    bond_bps=1000,
    challenger_bond=10**15,
    request_fee=10**14,
    challenge_window=12,
    response_window=12,
    inactivity_timeout=90,
    max_duration=365 * 86400,
)
FUNDS = 10**21
UNIT_PRICE = 10**12
MAX_UNITS = 10**6


class DemoFailed(SettleFLError):
    """A demo process failed or the job did not settle in time (the message names the log to read)."""


@dataclass(frozen=True)
class DemoOptions:
    variant: str = "cc"
    participants: int = 4
    rounds: int = 3
    malicious: bool = False
    free_riders: int = 0
    late_joiners: int = 0  # the last ones start once round 2 is open, and join the running job
    rpc: str | None = None
    workdir: Path | None = None
    build: Path | None = None
    seed: int = 0
    timeout: float = 900.0


@dataclass
class DemoResult:
    """What the demo did and found (``to_json`` is what ``--json`` prints)."""

    options: DemoOptions
    workdir: Path
    chain_id: int = 0
    contract: str = ""
    job_id: str = ""
    phases: dict[str, float] = field(default_factory=dict)
    gas: dict[str, dict[str, int]] = field(default_factory=dict)
    report: AuditReport | None = None
    accuracy: list[float] = field(default_factory=list)
    victim: str | None = None

    @property
    def escrow(self) -> int:
        return UNIT_PRICE * MAX_UNITS

    @property
    def payouts(self) -> list[dict[str, Any]]:
        assert self.report is not None
        return [
            {
                "payee": p.address,
                "units": p.units,
                "escrow": p.escrow,
                "bond": p.bond,
                "amount": p.amount,
                "status": p.status,
                "tx": p.tx,
            }
            for p in self.report.payees
            if p.units or p.amount
        ]

    @property
    def refund(self) -> int:
        assert self.report is not None
        return sum(f.amount for f in self.report.flows if f.refund and f.ledger == "escrow")

    def to_json(self) -> dict[str, Any]:
        report = self.report
        assert report is not None
        return {
            "variant": self.options.variant,
            "participants": self.options.participants,
            "rounds": self.options.rounds,
            "malicious": self.options.malicious,
            "chain_id": self.chain_id,
            "contract": self.contract,
            "job_id": self.job_id,
            "gas": self.gas,
            "payouts": [
                {
                    **p,
                    "units": p["units"],
                    "escrow": str(p["escrow"]),
                    "bond": str(p["bond"]),
                    "amount": str(p["amount"]),
                }
                for p in self.payouts
            ],
            "escrow": str(self.escrow),
            "refund": str(self.refund),
            "paid_from_escrow": str(sum(p["escrow"] for p in self.payouts)),
            "status": report.phase,
            "faulted": report.faulted,
            "verdict": report.verdict.value,
            "reasons": report.reasons,
            "ledgers": [ledger.to_json() for ledger in report.ledgers],
            "disputes": [
                {
                    "kind": d.kind,
                    "round": d.round,
                    "by": d.by,
                    "status": d.status,
                    "tx": d.tx,
                    "settled_by": d.settled_by,
                }
                for d in report.disputes
            ],
            "phases": {k: round(v, 2) for k, v in self.phases.items()},
            "validation_accuracy": self.accuracy,
            "workdir": str(self.workdir),
        }


def default_build() -> Path:
    build = settings().circuits_dir / "builds" / "n32_b16_k32_j4"
    if not (build / "manifest.json").exists():
        raise InputError(f"the demo's circuit build is not at {build}: run the demo from a checkout (or pass --build)")
    return build


class Demo:
    """One demo run; :meth:`run` does everything (module docstring). ``on_progress`` hears every change."""

    def __init__(self, options: DemoOptions, on_progress: Any = None) -> None:
        if options.variant not in ("cc", "cp"):
            raise InputError(f"--variant {options.variant!r}: choose cc or cp")
        if options.malicious and options.variant != "cc":
            raise InputError(
                "--malicious plays a cut round that only Commit-and-Challenge can commit: a "
                "Commit-with-Proof commit of it has no proof (use --variant cc)"
            )
        if not 1 <= options.participants <= 16 or not 1 <= options.rounds <= 50:
            raise InputError("the demo takes 1..16 participants and 1..50 rounds")
        if not 0 <= options.late_joiners < options.participants or (options.late_joiners and options.rounds < 3):
            raise InputError(
                "late joiners start in round 2: leave at least one participant to start the job "
                "and give --rounds 3 or more"
            )
        if options.malicious and options.rounds < 2:
            raise InputError("--malicious cuts units in round 2: give --rounds 2 or more")
        self.o = options
        self.build = options.build or default_build()
        self.workdir = options.workdir or Path(tempfile.mkdtemp(prefix="settlefl-demo-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.result = DemoResult(options, self.workdir)
        self.on_progress = on_progress or (lambda event, data: None)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.arguments: dict[str, list[str]] = {}
        self.addresses: dict[str, str] = {}
        self.anvil: Anvil | None = None
        self.rpc = ""
        self.url = ""

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.on_progress("phase", name)
        began = time.monotonic()
        try:
            yield
        finally:
            self.result.phases[name] = time.monotonic() - began

    def run(self) -> DemoResult:
        """Everything: :meth:`prepare`, :meth:`start`, :meth:`finish`, then :meth:`close` whatever happened."""
        try:
            self.prepare()
            self.start()
            return self.finish()
        finally:
            self.close()

    def prepare(self) -> None:
        """Start (or reach) the chain, deploy, write the key files."""
        with self.phase("chain and deployment"):
            if self.o.rpc is None:
                self.anvil = Anvil("--block-time", "1", "--hardfork", "prague")
            self.rpc = self.o.rpc or (self.anvil.url if self.anvil else "")
            self.chain = Chain(self.rpc, max_wait=30)
            self.deployment_file = self._deploy(self.chain)
            self.keys = self._keys(self.chain)

    def start(self) -> None:
        """Start the aggregator and the participants; return once the job exists on chain."""
        with self.phase("processes up"):
            self.url = self._start(self.rpc, self.deployment_file, self.keys)
        with self.phase("registration and job creation"):
            self.wait(lambda job: job["phase"] != "registering")
        if self.o.late_joiners:
            self.wait(lambda job: job["round"] >= 2)
            for i in range(self.o.participants - self.o.late_joiners, self.o.participants):
                self._spawn_participant(i)

    def finish(self) -> DemoResult:
        """Wait for the rounds, the settlement and every participant's exit; audit; collect the gas."""
        with self.phase("training rounds"):
            self.wait(lambda job: job["phase"] in ("settling", "completed"))
        with self.phase("settlement"):
            self._wait_participants()
            self.wait(lambda job: job["phase"] == "completed")
        rounds = httpx.get(f"{self.url}/api/rounds", timeout=30).json()
        self.result.accuracy = [r["validation_accuracy"] for r in rounds if r.get("validation_accuracy") is not None]
        with self.phase("audit"):
            self.result.report = audit(
                self.chain,
                self.result.contract,
                bytes.fromhex(self.result.job_id[2:]),
                [self.build],
                from_block=self._deploy_block,
            )
        self.result.gas = gas_by_function(self.chain, self.result.contract, self._deploy_block)
        return self.result

    def close(self) -> None:
        """Stop every process and the chain the demo started."""
        self._stop()
        if self.anvil is not None:
            self.anvil.stop()

    def kill(self, name: str) -> None:
        """SIGKILL one process (tests play a crash with it)."""
        process = self.processes[name]
        process.kill()
        process.wait()

    def restart(self, name: str) -> None:
        """Start a killed process again with the same options and state directory."""
        if self.processes[name].poll() is None:
            raise DemoFailed(f"{name} is still running")
        self._spawn(name, self.arguments[name])

    # -------------------------------------------------------------------------------- the parts

    def _deploy(self, chain: Chain) -> Path:
        deployer_account: LocalAccount = Account.create()
        chain.rpc("anvil_setBalance", deployer_account.address, hex(FUNDS))
        sender = Sender(chain, deployer_account, decoder=ErrorDecoder([load_artifact("SettleFL").abi]))
        deployment = Deployer(chain, sender).deploy([self.build], DEMO_BOUNDS)
        self.result.chain_id = chain.chain_id
        self.result.contract = deployment.settlefl
        self._deploy_block = deployment.deploy_block
        path = self.workdir / "deployment.json"
        path.write_text(deployment.model_dump_json(indent=2))
        self.on_progress("deployed", deployment.settlefl)
        return path

    def _keys(self, chain: Chain) -> dict[str, Path]:
        keys: dict[str, Path] = {}
        for name in ["aggregator", *(f"participant-{i}" for i in range(self.o.participants))]:
            account: LocalAccount = Account.create()
            chain.rpc("anvil_setBalance", account.address, hex(FUNDS))
            path = self.workdir / "keys" / f"{name}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            save_account(path, account)
            keys[name] = path
            self.addresses[name] = account.address
            if name == "participant-0" and self.o.malicious:
                self.result.victim = account.address
        receipt_key = self.workdir / "keys" / "receipt-key.json"
        eddsa.generate_key_file(receipt_key)
        keys["receipt"] = receipt_key
        return keys

    def _spawn(self, name: str, args: list[str]) -> None:
        logfile = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the child holds it; a restart appends
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "settlefl_node", "-v", *args], stdout=logfile, stderr=subprocess.STDOUT, env=env
        )
        logfile.close()  # the child has its own descriptor
        self.processes[name] = process
        self.arguments[name] = args

    def _start(self, rpc: str, deployment: Path, keys: dict[str, Path]) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        args = [
            "node",
            "aggregator",
            "--rpc",
            rpc,
            "--key-file",
            str(keys["aggregator"]),
            "--receipt-key-file",
            str(keys["receipt"]),
            "--deployment",
            str(deployment),
            "--build",
            str(self.build),
            "--state",
            str(self.workdir / "aggregator"),
            "--port",
            str(port),
            "--variant",
            self.o.variant,
            "--rounds",
            str(self.o.rounds),
            "--min-participants",
            str(self.o.participants - self.o.late_joiners),
            "--round-timeout",
            "60",
            "--unit-price",
            str(UNIT_PRICE),
            "--max-units",
            str(MAX_UNITS),
            "--margin",
            "3",
            "--seed",
            str(self.o.seed),
        ]
        if self.o.malicious:
            args += ["--cut", f"{self.result.victim}:2"]
        self._spawn("aggregator", args)
        self.url = url
        self.wait(lambda job: True, what="the aggregator's service")
        self.on_progress("status page", url + "/")
        for i in range(self.o.participants - self.o.late_joiners):
            self._spawn_participant(i)
        return url

    def _spawn_participant(self, i: int) -> None:
        behaviour = "free-rider" if i >= self.o.participants - self.o.free_riders else "honest"
        self._spawn(
            f"participant-{i}",
            [
                "node",
                "participant",
                "--aggregator",
                self.url,
                "--rpc",
                self.rpc,
                "--key-file",
                str(self.keys[f"participant-{i}"]),
                "--build",
                str(self.build),
                "--state",
                str(self.workdir / f"participant-{i}"),
                "--shard",
                str(i),
                "--shards",
                str(self.o.participants),
                "--behaviour",
                behaviour,
                "--seed",
                str(self.o.seed + i),
                "--margin",
                "3",
                "--respond-delay",
                "2",
            ],
        )

    def _check_processes(self) -> None:
        for name, process in self.processes.items():
            code = process.poll()
            if code not in (None, 0):
                raise DemoFailed(f"{name} exited with status {code}: see {self.workdir / (name + '.log')}")

    def wait(self, done: Any, what: str = "the job") -> dict[str, Any]:
        """Poll the aggregator's ``/api/job`` until ``done(job)``; raise if a process failed or time ran out."""
        deadline = time.monotonic() + self.o.timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            self._check_processes()
            try:
                job = httpx.get(f"{self.url}/api/job", timeout=10).json()
            except (httpx.HTTPError, ValueError):
                time.sleep(0.5)
                continue
            self.result.job_id = job["job_id"]
            if (job["phase"], job["round"], job.get("round_status")) != (
                last.get("phase"),
                last.get("round"),
                last.get("round_status"),
            ):
                self.on_progress("job", job)
            last = job
            if done(job):
                return dict(job)
            time.sleep(0.5)
        raise DemoFailed(f"{what} did not get there within {self.o.timeout:.0f} s; logs are in {self.workdir}")

    def _wait_participants(self) -> None:
        deadline = time.monotonic() + self.o.timeout
        for name, process in self.processes.items():
            if not name.startswith("participant"):
                continue
            try:
                code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise DemoFailed(
                    f"{name} was not paid within {self.o.timeout:.0f} s: see {self.workdir / (name + '.log')}"
                ) from None
            if code != 0:
                raise DemoFailed(f"{name} exited with status {code}: see {self.workdir / (name + '.log')}")
            self.on_progress("paid", name)

    def _stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def gas_by_function(chain: Chain, contract: str, from_block: int) -> dict[str, dict[str, int]]:
    """Gas of every transaction to ``contract`` since ``from_block``, grouped by function (from receipts)."""
    interface = SettleFL(chain, contract).interface
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "gas": 0})
    for number in range(from_block, chain.block_number() + 1):
        block = chain.w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if isinstance(tx, bytes):  # a hash only (not asked for, but the type allows it)
                continue
            if str(tx.get("to") or "").lower() != contract.lower():
                continue
            receipt = chain.w3.eth.get_transaction_receipt(tx["hash"])
            try:
                name = interface.decode_function_input(tx["input"])[0].fn_name
            except ValueError:
                name = "unknown"
            if receipt["status"] != 1:
                name += " (reverted)"
            totals[name]["count"] += 1
            totals[name]["gas"] += int(receipt["gasUsed"])
    return {k: {**v, "mean": v["gas"] // max(v["count"], 1)} for k, v in sorted(totals.items())}


def result_json(result: DemoResult) -> str:
    return json.dumps(result.to_json(), indent=2)
