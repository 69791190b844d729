"""Jobs played on a real anvil with real proofs, for the auditor's tests (the approach of bench/gas.py).

One anvil, one deployment of the committed test build and one prover per test module: proofs and py-ecc
pairings are the slow part, so each scenario is as short as its rule allows (3 participants, 1-3 rounds;
the faulted job has 18 participants, so its payout takes two batches, and a payee that refuses ETH, so
one payout becomes a credit).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from settlefl.chain.artifacts import load_artifact
from settlefl.chain.client import Chain, Sender
from settlefl.chain.contract import JobConfig, JobTerms, SettleFL, Variant
from settlefl.chain.deploy import Bounds, Deployer, Deployment
from settlefl.chain.history import RoundLog
from settlefl.circuits.prover import Groth16Proof, JobContext, Prover
from settlefl.crypto import eddsa
from settlefl.devchain import Anvil
from settlefl.state import RewardState, RoundUpdate, job_domain, job_id, round_salt

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "circuits" / "builds" / "n32_b16_k32_j4"
OTHER_BUILD = Path(__file__).resolve().parent / "fixtures" / "n32_b16_k32_j4_recontributed"

WINDOW = 60  # seconds: every window of the test jobs (the deployment's minimum)
UNIT_PRICE = 10**9
MAX_UNITS = 10**6
SECRET = 0xA0D17
SIGNING_KEY = bytes.fromhex("5e" * 32)  # a test-only receipt key
BOUNDS = Bounds(bond_bps=1000, challenger_bond=10**15, request_fee=10**14, challenge_window=WINDOW,
                response_window=WINDOW, inactivity_timeout=WINDOW, max_duration=365 * 86400)
# anvil's well-known development keys (mnemonic "test test ... junk"): test-only accounts.
ANVIL_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
]
#: A proof made of valid curve points that proves nothing (the generators of G1 and G2).
GARBAGE_PROOF = Groth16Proof(
    (1, 2),
    ((10857046999023057135944570762232829481370756359578518086990519993285655852781,
      11559732032986387107991004021392285783925812861821192530917403151452391805634),
     (8495653923123431417604973247489272438418190587263600148770280649306958101930,
      4082367875863433681332203403145435568316851327593401208105741076214120093531)),
    (1, 2),
)


@dataclass
class Job:
    """One job as a test plays it: its config, honest states and round log."""

    id: bytes
    nonce: int
    cfg: JobConfig
    ctx: JobContext
    states: list[RewardState]
    rounds: RoundLog = field(default_factory=RoundLog)

    @property
    def tip(self) -> RewardState:
        return self.states[-1]


class Player:
    """Plays jobs on one deployment through the project's chain client (like bench/gas.py's Bench)."""

    def __init__(self, chain: Chain, settle: SettleFL, prover: Prover) -> None:
        self.chain = chain
        self.settle = settle
        self.prover = prover
        accounts: list[LocalAccount] = [Account.from_key(k) for k in ANVIL_KEYS]
        self.deployer, self.agg, self.challenger, self.submitter, self.requester = accounts
        self.senders = {a.address: settle.sender(a) for a in accounts}
        self.pub_hash = eddsa.public_key_hash(eddsa.public_key(SIGNING_KEY))
        self.nonce = 0

    def sender(self, account: LocalAccount) -> Sender:
        return self.senders[account.address]

    def create(self, variant: Variant, participants: Sequence[int], proof: Groth16Proof | None = None) -> Job:
        nonce, self.nonce = self.nonce, self.nonce + 1
        jid = job_id(self.agg.address, nonce)
        domain = job_domain(self.chain.chain_id, self.settle.address, jid)
        ctx = JobContext(self.chain.chain_id, self.settle.address, jid)
        genesis = RewardState.genesis(self.prover.params, domain, MAX_UNITS, list(participants))
        if proof is None:
            proof = self.prover.prove_opening(genesis, ctx, self.agg.address).proof
        escrow = MAX_UNITS * UNIT_PRICE
        terms = JobTerms(variant, 0, "0x" + "00" * 20, UNIT_PRICE, MAX_UNITS, escrow, escrow // 10,
                         BOUNDS.challenger_bond, BOUNDS.request_fee, WINDOW, WINDOW, WINDOW,
                         self.chain.timestamp() + 30 * 86400, self.pub_hash)
        receipt = self.settle.create_job(self.sender(self.agg), nonce, terms, genesis.commitment,
                                         genesis.words[: genesis.n], proof)
        job = Job(jid, nonce, JobConfig(self.agg.address, terms), ctx, [genesis])
        job.rounds.append(0, genesis.commitment, self.chain.timestamp(receipt["blockNumber"]))
        return job

    def commit(self, job: Job, with_proof: bool = False) -> None:
        prev = job.tip
        r = prev.round + 1
        state = prev.apply_round(RoundUpdate(rows=[(i, 10 + (i * 7 + r) % 13) for i in range(prev.n)]),
                                 round_salt(SECRET, prev.domain, r))
        if with_proof:
            proof = self.prover.prove_transition(prev, state, self.agg.address).proof
            receipt = self.settle.commit_with_proof(self.sender(self.agg), job.nonce, job.rounds.tip_history(),
                                                    state.commitment, proof)
        else:
            receipt = self.settle.commit(self.sender(self.agg), job.nonce, state.commitment)
        job.states.append(state)
        job.rounds.append(r, state.commitment, self.chain.timestamp(receipt["blockNumber"]))

    def finalize(self, job: Job) -> None:
        """The aggregator finalizes after every window has closed: payouts open in the same call."""
        self.chain.warp(WINDOW + 5)
        self.settle.finalize(self.sender(self.agg), job.id, job.cfg, job.rounds.tip_history())

    def pay_all(self, job: Job, who: LocalAccount | None = None) -> None:
        account = who or self.agg
        state = job.tip
        for batch in range(-(-state.n // state.params.batch)):
            proved = self.prover.prove_payout(state, batch, job.ctx, account.address)
            self.settle.payout(self.sender(account), job.id, job.cfg, job.rounds.tip_history(), batch, state.n,
                               state.total, proved.words, proved.proof)

    def challenge_and_answer(self, job: Job, r: int) -> None:
        self.settle.challenge(self.sender(self.challenger), job.id, job.cfg, r, job.rounds.around(r))
        proof = self.prover.prove_transition(job.states[r - 1], job.states[r], self.submitter.address).proof
        self.settle.respond(self.sender(self.submitter), job.id, job.cfg, r, job.rounds.around(r), proof)

    def request_and_answer(self, job: Job, r: int) -> None:
        self.settle.request_opening(self.sender(self.requester), job.id, job.cfg, r, job.rounds.around(r))
        state = job.states[r]
        opened = self.prover.prove_opening(state, job.ctx, self.submitter.address)
        self.settle.answer_opening(self.sender(self.submitter), job.id, job.cfg, r, job.rounds.around(r), state.salt,
                                   state.total, opened.words, opened.proof)

    def prove_equivocation(self, job: Job, r: int) -> None:
        """The requester proves that the aggregator signed another commitment for round ``r``."""
        other = job.states[r - 1].apply_round(RoundUpdate(rows=[(0, 77)]), 12345)
        signature = eddsa.sign(SIGNING_KEY, other.commitment)
        proof = self.prover.prove_receipt(other, signature, eddsa.public_key(SIGNING_KEY),
                                          self.requester.address).proof
        self.settle.prove_equivocation(self.sender(self.requester), job.id, job.cfg, r, job.rounds.around(r),
                                       other.commitment, proof)


@dataclass
class Played:
    """What a test module's jobs left on the chain."""

    chain: Chain
    deployment: Deployment
    player: Player
    jobs: dict[str, Job] = field(default_factory=dict)
    forged: SettleFL | None = None


def deploy(chain: Chain) -> tuple[Deployment, Player]:
    deployer_account = Account.from_key(ANVIL_KEYS[0])
    deployment = Deployer(chain, Sender(chain, deployer_account)).deploy([BUILD], BOUNDS)
    return deployment, Player(chain, SettleFL(chain, deployment.settlefl), Prover(BUILD))


def deploy_accept_everything(chain: Chain) -> SettleFL:
    """SettleFL (the project's own code) whose four verifiers are one MockVerifier that accepts anything."""
    deployer = Deployer(chain, Sender(chain, Account.from_key(ANVIL_KEYS[0])))
    mock = deployer.deploy_code(load_artifact("MockVerifier"), label="MockVerifier")
    prover_params = Prover(BUILD).params
    builds = [(prover_params.participants, prover_params.batch, mock, mock, mock, mock)]
    extension = deployer.deploy_code(load_artifact("SettleFLExtension"), (builds, BOUNDS.as_abi()),
                                     "extension (forged)")
    address = deployer.deploy_code(load_artifact("SettleFL"), (builds, [], BOUNDS.as_abi(), extension),
                                   "SettleFL (forged)")
    return SettleFL(chain, address)


@pytest.fixture(scope="session")
def anvil_chain() -> Iterator[Chain]:
    """One anvil for the audit tests (hardfork prague, like the compiled code)."""
    with Anvil("--hardfork", "prague", "--silent") as anvil:
        yield Chain(anvil.url)
