"""The participant node: joins a job over HTTP, trains on its own data, checks every receipt, gets paid.

The aggregator is trusted for nothing: the deployment it names is checked against the participant's own
circuit build (verifier bytecode), the model it serves must match the hash it states, and every receipt
goes through the participant role (:class:`settlefl.roles.participant.Participant`), which checks it
against the chain and the round rules and challenges, requests openings or resolves faults on its own.
Chain duties never wait for the service: when the aggregator is unreachable the node keeps ticking the
role (a dead aggregator is exactly when a participant must act).

State (registration, rounds uploaded, receipts handled, and the role's openings and transaction journal)
is in SQLite under ``directory``; a killed participant restarted with the same directory continues.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from settlefl.chain.client import Chain
from settlefl.chain.contract import Phase
from settlefl.chain.deploy import Deployment
from settlefl.circuits.manifest import Manifest
from settlefl.errors import InputError
from settlefl.roles.follower import Timing
from settlefl.roles.participant import Participant
from settlefl.roles.store import RoleStore

from .fl.data import Dataset
from .fl.models import ModelSpec, build_model
from .fl.seeds import derive_seed
from .fl.simulate import Behaviour, local_update
from .fl.train import TrainConfig
from .fl.weights import decode, encode, layout_of, state_of
from .onchain import role_context
from .service.client import AggregatorClient, ServiceRefused, ServiceUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What the participant ends with."""

    address: str
    units: int
    rounds_uploaded: list[int]
    balance_change: int
    phase: str


class ParticipantNode:
    """One participant of one job (module docstring)."""

    def __init__(
        self,
        client: AggregatorClient,
        chain: Chain,
        account: LocalAccount,
        build_dir: Path,
        directory: Path,
        data: Dataset,
        behaviour: Behaviour = "honest",
        seed: int = 0,
        timing: Timing | None = None,
    ) -> None:
        self.client = client
        self.chain = chain
        self.account = account
        self.build_dir = build_dir
        self.data = data
        self.behaviour = behaviour
        self.seed = seed
        directory.mkdir(parents=True, exist_ok=True)
        self.store = RoleStore(directory / "participant.sqlite")
        self.timing = timing or Timing()
        self.role: Participant | None = None
        self.job: dict[str, Any] = {}

    # --------------------------------------------------------------------------------- joining

    def join(self) -> None:
        """Check the job and its deployment against this participant's chain and build, then register."""
        job = self.client.job()
        if int(job["chain_id"]) != self.chain.chain_id:
            raise InputError(
                f"the aggregator's job is on chain {job['chain_id']}, but --rpc is chain "
                f"{self.chain.chain_id}: use an RPC endpoint of the job's chain"
            )
        build = Manifest.load(self.build_dir).params.name
        if job["build"] != build:
            raise InputError(f"the job uses circuit build {job['build']}, but --build is {build}")
        known = self.store.get("job_id")
        if known is not None and known != job["job_id"]:
            raise InputError(f"this state directory belongs to job {known}, not {job['job_id']}: use another one")
        deployment = Deployment.model_validate(self.client.deployment())
        if deployment.settlefl.lower() != str(job["contract"]).lower():
            raise InputError("the aggregator's deployment record is not for the contract its job names")
        self.job = job
        ctx = role_context(self.chain, deployment, self.account, self.build_dir, self.store, self.timing)
        self.role = Participant(ctx, bytes.fromhex(job["job_id"][2:]))
        if not self.store.get("registered"):
            self.client.register(job)
            self.store.put("job_id", job["job_id"])
            self.store.put("registered", True)
            self.store.put("start_balance", self.chain.w3.eth.get_balance(self.account.address))
            log.info("registered %s for job %s", self.account.address, job["job_id"])

    # ---------------------------------------------------------------------------------- the loop

    def run(self, interval: float = 1.0, limit: float | None = None) -> Outcome:
        """Train, upload, check receipts and defend until the job completed and nothing is owed."""
        if self.role is None:
            self.join()
        began = time.monotonic()
        while True:
            if self.step():
                return self.outcome()
            if limit is not None and time.monotonic() - began > limit:
                raise TimeoutError(f"the job did not complete within {limit:.0f} s")
            time.sleep(interval)

    def step(self) -> bool:
        """One pass; True once the job completed and this participant is paid."""
        assert self.role is not None
        try:
            self.job = self.client.job()
            self._receipts()
            self._train()
        except ServiceUnavailable as exc:
            log.warning("%s; carrying on with the chain duties", exc)
        try:
            self.role.refresh()
        except LookupError:
            return False  # the job is not on chain yet
        for action in self.role.tick():
            log.info("%s", action)
        return self.role.settled()

    def _receipts(self) -> None:
        assert self.role is not None
        if self.job.get("phase") == "registering":
            return
        handled = set(self.store.get("receipts_handled", []))
        for receipt in self.client.receipts():
            r = int(receipt["opening"]["round"])
            if r in handled:
                continue
            verdict = self.role.accept(receipt)
            log.info("receipt of round %d: %s %s", r, verdict.status, verdict.reason)
            handled.add(r)
            self.store.put("receipts_handled", sorted(handled))

    def _train(self) -> None:
        assert self.role is not None
        job = self.job
        r = int(job["round"])
        uploaded = set(self.store.get("uploaded", []))
        if job["phase"] != "training" or job["round_status"] != "collecting" or r in uploaded:
            return
        ok, why = self.role.may_train()
        if not ok:
            log.info("not training round %d: %s", r, why)
            return
        fl = job["fl"]
        spec = ModelSpec.from_dict(fl["model"])
        model = build_model(spec)
        layout = layout_of(state_of(model))
        global_state = decode(self.client.model(r), expected=layout)
        state, samples = local_update(
            self.behaviour,
            model,
            global_state,
            self.data,
            TrainConfig.from_dict(fl["train"]),
            derive_seed(self.seed, "train", r),
        )
        try:
            self.client.upload(job, r, encode(state), samples)
            log.info("round %d: update uploaded (%d samples)", r, samples)
        except ServiceRefused as exc:
            if exc.status != 409:
                raise
            log.info("round %d: %s", r, exc.reason)
        uploaded.add(r)
        self.store.put("uploaded", sorted(uploaded))

    def outcome(self) -> Outcome:
        assert self.role is not None
        job = self.role.refresh()
        state = self.role.held(job, job.tip)
        mine = self.account.address.lower()
        units = 0
        if state is not None:
            units = sum(u for a, u in state.participants() if f"0x{a:040x}" == mine)
        balance = self.chain.w3.eth.get_balance(self.account.address)
        return Outcome(
            self.account.address,
            units,
            sorted(self.store.get("uploaded", [])),
            int(balance) - int(self.store.get("start_balance", 0)),
            job.phase.name if job.phase is not Phase.NONE else "NONE",
        )
