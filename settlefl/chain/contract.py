"""Typed bindings to the SettleFL contract (from its Foundry ABI; web3 does every encoding).

:class:`JobTerms` and :class:`JobConfig` mirror the Solidity structs: the contract stores only the hash
of a job's configuration and every call that needs it passes it back, so a client keeps the
:class:`JobConfig` of each job it follows (decoded from ``JobCreated``). :class:`SettleFL` offers one
method per external function; writes go through a :class:`~settlefl.chain.client.Sender`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from enum import IntEnum
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract
from web3.types import TxReceipt

from settlefl.chain.artifacts import load_artifact
from settlefl.chain.client import Chain, Sender
from settlefl.chain.errors import ErrorDecoder
from settlefl.chain.history import History
from settlefl.circuits.prover import Groth16Proof

ZERO_ADDRESS = "0x" + "00" * 20


class Variant(IntEnum):
    COMMIT_CHALLENGE = 0
    COMMIT_PROOF = 1


class Phase(IntEnum):
    NONE = 0
    ACTIVE = 1
    FINALIZED = 2
    PAYOUTS_OPEN = 3
    COMPLETED = 4


class ChallengeStatus(IntEnum):
    NONE = 0
    OPEN = 1
    ANSWERED = 2
    UNANSWERED = 3
    RECLAIMED = 4
    PROVEN = 5


class RequestStatus(IntEnum):
    NONE = 0
    OPEN = 1
    ANSWERED = 2
    UNANSWERED = 3
    RECLAIMED = 4


@dataclass(frozen=True)
class JobTerms:
    """What an aggregator asks for at creation (``ISettleFLTypes.JobTerms``)."""

    variant: Variant
    build: int
    token: str
    unit_price: int
    max_units: int
    escrow: int
    bond: int
    challenger_bond: int
    request_fee: int
    challenge_window: int
    response_window: int
    inactivity_timeout: int
    hard_deadline: int
    pub_hash: int

    def as_abi(self) -> tuple[Any, ...]:
        values = list(astuple(self))
        values[0] = int(self.variant)
        values[2] = to_checksum_address(self.token)
        return tuple(values)

    @classmethod
    def from_abi(cls, values: Sequence[Any] | Mapping[str, Any]) -> JobTerms:
        """From the ABI tuple, or the named struct web3 decodes from events and calldata."""
        if isinstance(values, Mapping):
            values = tuple(values.values())
        kwargs = {f.name: v for f, v in zip(fields(cls), values, strict=True)}
        kwargs["variant"] = Variant(kwargs["variant"])
        kwargs["token"] = to_checksum_address(kwargs["token"])
        return cls(**kwargs)


_TERMS_TYPES = ("uint8", "uint8", "address", "uint256", "uint256", "uint256", "uint256", "uint256", "uint256",
                "uint32", "uint32", "uint32", "uint32", "uint256")


@dataclass(frozen=True)
class JobConfig:
    """A job's fixed configuration (``terms.escrow`` is the escrow received)."""

    aggregator: str
    terms: JobTerms

    def as_abi(self) -> tuple[Any, ...]:
        return (to_checksum_address(self.aggregator), self.terms.as_abi())

    @classmethod
    def from_abi(cls, values: Sequence[Any] | Mapping[str, Any]) -> JobConfig:
        """From the ABI tuple, or the named struct web3 decodes from events and calldata."""
        if isinstance(values, Mapping):
            values = tuple(values.values())
        return cls(to_checksum_address(values[0]), JobTerms.from_abi(values[1]))

    def hash(self) -> bytes:
        """``keccak256(abi.encode(config))``: what the contract stores."""
        return keccak(encode(["address", f"({','.join(_TERMS_TYPES)})"], list(self.as_abi())))


@dataclass(frozen=True)
class JobView:
    """``getJob``: everything the contract stores about a job, decoded."""

    phase: Phase
    variant: Variant
    build: int
    tip: int
    head_hash: int
    commit_deadline: int
    config_hash: bytes
    faulted: bool
    bond_slashed: bool
    open_challenges: int
    open_requests: int
    dispute_end: int
    tip_request_end: int
    paid_batches: int
    equivocator: str
    escrow_out: int
    bond_out: int
    disputes_in: int
    disputes_out: int

    @classmethod
    def from_abi(cls, values: Sequence[Any]) -> JobView:
        kwargs = {f.name: v for f, v in zip(fields(cls), values, strict=True)}
        kwargs["phase"] = Phase(kwargs["phase"])
        kwargs["variant"] = Variant(kwargs["variant"])
        kwargs["config_hash"] = bytes(kwargs["config_hash"])
        return cls(**kwargs)


@dataclass(frozen=True)
class ChallengeView:
    challenger: str
    time: int
    status: ChallengeStatus


@dataclass(frozen=True)
class RequestView:
    requester: str
    time: int
    status: RequestStatus
    answered_at: int


@dataclass(frozen=True)
class BuildView:
    participants: int
    batch_size: int
    opening: str
    transition: str
    receipt: str
    payout: str


def proof_abi(proof: Groth16Proof) -> tuple[Any, ...]:
    """A proof as the contract's ``Proof`` struct (snarkjs' Solidity order, ``b`` swapped)."""
    a, b, c = proof.solidity()
    return (list(a), [list(b[0]), list(b[1])], list(c))


class SettleFL:
    """One deployed SettleFL contract."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        artifact = load_artifact("SettleFL")
        self.address = to_checksum_address(address)
        self.contract: Contract = chain.w3.eth.contract(address=self.address, abi=artifact.abi)
        # Calldata is decoded with the interface's ABI: the functions SettleFL forwards to its extension
        # declare unnamed parameters, so its own ABI decodes their arguments without names.
        self.interface: Contract = chain.w3.eth.contract(address=self.address, abi=load_artifact("ISettleFL").abi)
        self.decoder = ErrorDecoder([artifact.abi])

    def sender(self, account: Any, **kwargs: Any) -> Sender:
        """A sender for ``account`` that decodes this contract's errors."""
        return Sender(self.chain, account, decoder=self.decoder, **kwargs)

    # ------------------------------------------------------------------------------------- views

    def get_job(self, job_id: bytes) -> JobView:
        return JobView.from_abi(self.contract.functions.getJob(job_id).call())

    def challenge_of(self, job_id: bytes, round_number: int) -> ChallengeView:
        c, t, s = self.contract.functions.challengeOf(job_id, round_number).call()
        return ChallengeView(c, t, ChallengeStatus(s))

    def request_of(self, job_id: bytes, round_number: int) -> RequestView:
        q, t, s, a = self.contract.functions.requestOf(job_id, round_number).call()
        return RequestView(q, t, RequestStatus(s), a)

    def checkpoint_of(self, job_id: bytes, index: int) -> int:
        return int(self.contract.functions.checkpointOf(job_id, index).call())

    def credit_of(self, account: str, token: str = ZERO_ADDRESS) -> int:
        return int(self.contract.functions.creditOf(to_checksum_address(account), to_checksum_address(token)).call())

    def held_of(self, job_id: bytes, cfg: JobConfig) -> tuple[int, int, int]:
        e, b, d = self.contract.functions.heldOf(job_id, cfg.as_abi()).call()
        return int(e), int(b), int(d)

    def payouts_open_after(self, job_id: bytes, cfg: JobConfig, tip: History) -> tuple[int, int, int]:
        t, c, q = self.contract.functions.payoutsOpenAfter(job_id, cfg.as_abi(), tip.as_abi()).call()
        return int(t), int(c), int(q)

    def challenge_window_end(self, job_id: bytes, cfg: JobConfig, round_number: int, time: int) -> int:
        return int(self.contract.functions.challengeWindowEnd(job_id, cfg.as_abi(), round_number, time).call())

    def build_count(self) -> int:
        return int(self.contract.functions.buildCount().call())

    def build_at(self, index: int) -> BuildView:
        return BuildView(*self.contract.functions.buildAt(index).call())

    def compute_job_id(self, aggregator: str, nonce: int) -> bytes:
        return bytes(self.contract.functions.computeJobId(to_checksum_address(aggregator), nonce).call())

    def is_batch_paid(self, job_id: bytes, batch: int) -> bool:
        return bool(self.contract.functions.isBatchPaid(job_id, batch).call())

    # ------------------------------------------------------------------------------------ writes

    def create_job(self, sender: Sender, nonce: int, terms: JobTerms, genesis_commitment: int,
                   words: Sequence[int], proof: Groth16Proof) -> TxReceipt:
        value = terms.bond + (terms.escrow if int(terms.token, 16) == 0 else 0)
        fn = self.contract.functions.createJob(nonce, terms.as_abi(), genesis_commitment, list(words),
                                               proof_abi(proof))
        return sender.transact(fn, value=value, what="createJob")

    def commit(self, sender: Sender, nonce: int, commitment: int) -> TxReceipt:
        return sender.transact(self.contract.functions.commit(nonce, commitment), what="commit")

    def commit_with_proof(self, sender: Sender, nonce: int, tip: History, commitment: int,
                          proof: Groth16Proof) -> TxReceipt:
        fn = self.contract.functions.commitWithProof(nonce, tip.as_abi(), commitment, proof_abi(proof))
        return sender.transact(fn, what="commitWithProof")

    def finalize(self, sender: Sender, job_id: bytes, cfg: JobConfig, tip: History) -> TxReceipt:
        return sender.transact(self.contract.functions.finalize(job_id, cfg.as_abi(), tip.as_abi()), what="finalize")

    def open_payouts(self, sender: Sender, job_id: bytes, cfg: JobConfig, tip: History) -> TxReceipt:
        fn = self.contract.functions.openPayouts(job_id, cfg.as_abi(), tip.as_abi())
        return sender.transact(fn, what="openPayouts")

    def challenge(self, sender: Sender, job_id: bytes, cfg: JobConfig, round_number: int,
                  history: History) -> TxReceipt:
        fn = self.contract.functions.challenge(job_id, cfg.as_abi(), round_number, history.as_abi())
        return sender.transact(fn, value=cfg.terms.challenger_bond, what=f"challenge of round {round_number}")

    def respond(self, sender: Sender, job_id: bytes, cfg: JobConfig, round_number: int, history: History,
                proof: Groth16Proof) -> TxReceipt:
        fn = self.contract.functions.respond(job_id, cfg.as_abi(), round_number, history.as_abi(), proof_abi(proof))
        return sender.transact(fn, what=f"response to the challenge of round {round_number}")

    def resolve(self, sender: Sender, job_id: bytes, cfg: JobConfig, round_number: int,
                history: History) -> TxReceipt:
        fn = self.contract.functions.resolve(job_id, cfg.as_abi(), round_number, history.as_abi())
        return sender.transact(fn, what=f"resolve of the challenge of round {round_number}")

    def reclaim(self, sender: Sender, job_id: bytes, cfg: JobConfig, round_number: int) -> TxReceipt:
        fn = self.contract.functions.reclaim(job_id, cfg.as_abi(), round_number)
        return sender.transact(fn, what=f"reclaim of round {round_number}")

    def request_opening(self, sender: Sender, job_id: bytes, cfg: JobConfig, round_number: int,
                        history: History) -> TxReceipt:
        fn = self.contract.functions.requestOpening(job_id, cfg.as_abi(), round_number, history.as_abi())
        return sender.transact(fn, value=cfg.terms.request_fee, what=f"opening request of round {round_number}")

    def answer_opening(self, sender: Sender, job_id: bytes, cfg: JobConfig, round_number: int, history: History,
                       salt: int, total: int, words: Sequence[int], proof: Groth16Proof) -> TxReceipt:
        fn = self.contract.functions.answerOpening(job_id, cfg.as_abi(), round_number, history.as_abi(), salt, total,
                                                   list(words), proof_abi(proof))
        return sender.transact(fn, what=f"answer to the opening request of round {round_number}")

    def resolve_request(self, sender: Sender, job_id: bytes, cfg: JobConfig, round_number: int,
                        history: History) -> TxReceipt:
        fn = self.contract.functions.resolveRequest(job_id, cfg.as_abi(), round_number, history.as_abi())
        return sender.transact(fn, what=f"resolve of the opening request of round {round_number}")

    def prove_equivocation(self, sender: Sender, job_id: bytes, cfg: JobConfig, round_number: int,
                           history: History, other_commitment: int, proof: Groth16Proof) -> TxReceipt:
        fn = self.contract.functions.proveEquivocation(job_id, cfg.as_abi(), round_number, history.as_abi(),
                                                       other_commitment, proof_abi(proof))
        return sender.transact(fn, what=f"equivocation proof for round {round_number}")

    def payout(self, sender: Sender, job_id: bytes, cfg: JobConfig, tip: History, batch: int, n: int, total: int,
               words: Sequence[int], proof: Groth16Proof) -> TxReceipt:
        fn = self.contract.functions.payout(job_id, cfg.as_abi(), tip.as_abi(), (batch, n, total, list(words)),
                                            proof_abi(proof))
        return sender.transact(fn, what=f"payout of batch {batch}")

    def withdraw(self, sender: Sender, token: str = ZERO_ADDRESS, to: str | None = None) -> TxReceipt:
        fn = self.contract.functions.withdraw(to_checksum_address(token), to_checksum_address(to or sender.address))
        return sender.transact(fn, what="withdraw")
