"""A real anvil, one deployment of the committed test build, and a small world of role engines.

Every role here is the production engine (``settlefl.roles``) on its own account and its own SQLite store;
tests move receipts between them by hand (the transport is not the roles' business) and move chain time
with anvil's controls instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from settlefl.chain.client import Chain, Sender
from settlefl.chain.contract import SettleFL
from settlefl.chain.deploy import Bounds, Deployer, Deployment
from settlefl.circuits.prover import Prover
from settlefl.devchain import Anvil
from settlefl.roles.aggregator import Aggregator, JobPlan
from settlefl.roles.follower import RoleContext, Timing
from settlefl.roles.participant import Participant
from settlefl.roles.store import RoleStore
from settlefl.state.receipt import Receipt
from tests.circuits.conftest import COMMITTED_BUILD as TEST_BUILD

#: Short windows: the deployment's minimums, which every test job uses.
BOUNDS = Bounds(bond_bps=1000, challenger_bond=10**15, request_fee=10**14, challenge_window=600,
                response_window=300, inactivity_timeout=600, max_duration=365 * 86400)
TIMING = Timing(margin=20, respond_delay=60, receipt_grace=30, payout_grace=0)
SIGNING_KEY = bytes.fromhex("4b" * 32)  # a test-only receipt key
FUNDS = 10**21


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    with Anvil("--hardfork", "prague") as node:
        yield node


@pytest.fixture(scope="module")
def chain(anvil: Anvil) -> Chain:
    return Chain(anvil.url, max_wait=30)


def fund(chain: Chain, address: str, amount: int = FUNDS) -> None:
    chain.rpc("anvil_setBalance", address, hex(amount))


def new_account(chain: Chain) -> LocalAccount:
    account: LocalAccount = Account.create()
    fund(chain, account.address)
    return account


@pytest.fixture(scope="module")
def deployment(chain: Chain) -> Deployment:
    deployer = new_account(chain)
    return Deployer(chain, Sender(chain, deployer)).deploy([TEST_BUILD], BOUNDS)


@pytest.fixture(scope="module")
def prover() -> Prover:
    return Prover(TEST_BUILD)


@dataclass
class World:
    """An aggregator and its participants on one deployment, each with its own account and store."""

    chain: Chain
    deployment: Deployment
    prover: Prover
    root: Path
    timing: Timing = TIMING
    participants: dict[str, Participant] = field(default_factory=dict)
    accounts: dict[str, LocalAccount] = field(default_factory=dict)

    @property
    def settle(self) -> SettleFL:
        return SettleFL(self.chain, self.deployment.settlefl)

    def context(self, account: LocalAccount, name: str) -> RoleContext:
        store = RoleStore(self.root / f"{name}.sqlite")
        return RoleContext(self.chain, self.settle, self.deployment, self.settle.sender(account), store, self.prover,
                           self.timing)

    def aggregator(self, count: int, plan: JobPlan | None = None, name: str = "aggregator") -> Aggregator:
        self.accounts[name] = account = new_account(self.chain)
        payees = [new_account(self.chain) for _ in range(count)]
        aggregator = Aggregator.create(self.context(account, name), SIGNING_KEY, [p.address for p in payees],
                                       plan or JobPlan())
        for i, payee in enumerate(payees):
            self.add_participant(f"p{i}", payee, aggregator.job_id)
        return aggregator

    def add_participant(self, name: str, account: LocalAccount, job_id: bytes) -> Participant:
        self.accounts[name] = account
        participant = Participant(self.context(account, name), job_id)
        self.participants[name] = participant
        return participant

    def restart_aggregator(self, name: str = "aggregator") -> Aggregator:
        return Aggregator.resume(self.context(self.accounts[name], name), SIGNING_KEY)

    def deliver(self, receipts: dict[str, Receipt], skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        for name, participant in self.participants.items():
            if name in skip:
                continue
            payee = participant.address
            receipt = receipts.get(payee)
            if receipt is not None:
                verdict = participant.accept(receipt)
                assert verdict.ok, f"{name} refused its receipt: {verdict}"

    def warp(self, seconds: int) -> None:
        self.chain.warp(seconds)

    def tick(self, *roles: object) -> list[str]:
        done: list[str] = []
        for role in roles:
            done += role.tick()  # type: ignore[attr-defined]
        return done


@pytest.fixture
def world(chain: Chain, deployment: Deployment, prover: Prover, tmp_path: Path) -> World:
    return World(chain, deployment, prover, tmp_path)
