"""A job as its events (and the calldata they point to) describe it: the shared view of every role.

:func:`project` folds a job's events, in chain order, into a :class:`JobProjection`: its configuration,
the committed rounds with their times (a :class:`~settlefl.chain.history.RoundLog`, from which every
history a call needs is built), disputes and their deadlines, the states opened on chain, faults,
finalization and payouts. Everything is a pure function of the stored events, so a role recomputes it
after every poll and a chain reorganisation rolls it back by construction. Words are not in events: the
genesis words and answered openings are decoded from the calldata of the transaction that emitted them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from settlefl.chain.contract import JobConfig, Phase, Variant
from settlefl.chain.history import RoundLog
from settlefl.chain.watcher import ChainEvent

#: ``FaultKind.Equivocation`` (the only fault without a rollback).
FAULT_EQUIVOCATION = 1
#: Decodes a transaction's input: ``tx_hash -> (function name, arguments)``.
CalldataReader = Callable[[str], tuple[str, dict[str, Any]]]


class DisputeStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    RECLAIMED = "reclaimed"


@dataclass
class Dispute:
    """A challenge or an opening request of one round."""

    round: int
    by: str
    time: int
    deadline: int
    status: DisputeStatus = DisputeStatus.OPEN
    answered_by: str | None = None
    answered_at: int | None = None
    tx_hash: str = ""


@dataclass(frozen=True)
class OpenedState:
    """A state opened on chain (the genesis, or an answer to an opening request)."""

    round: int
    commitment: int
    n: int
    total: int
    salt: int
    words: tuple[int, ...]


@dataclass(frozen=True)
class PaidBatch:
    index: int
    submitter: str
    escrow_out: int
    bond_out: int
    tx_hash: str
    n: int
    total: int
    words: tuple[int, ...]


@dataclass
class JobProjection:
    """Everything the chain says about one job."""

    job_id: bytes
    config: JobConfig
    nonce: int
    domain: int
    created_block: int
    created_time: int
    rounds: RoundLog
    openings: dict[int, OpenedState] = field(default_factory=dict)
    proven: set[int] = field(default_factory=set)
    challenges: dict[int, Dispute] = field(default_factory=dict)
    requests: dict[int, Dispute] = field(default_factory=dict)
    extensions: dict[int, int] = field(default_factory=dict)
    faults: list[tuple[str, int, int]] = field(default_factory=list)
    equivocations: list[tuple[int, str, int, bool]] = field(default_factory=list)
    finalized_by: str | None = None
    finalized_time: int | None = None
    finalized_tx: str | None = None
    tip_request_end: int = 0
    payouts_opened: dict[str, Any] | None = None
    batches: dict[int, PaidBatch] = field(default_factory=dict)
    completed: tuple[int, int] | None = None
    transfers: list[ChainEvent] = field(default_factory=list)
    credits: list[ChainEvent] = field(default_factory=list)
    commit_times: dict[int, str] = field(default_factory=dict)

    @property
    def variant(self) -> Variant:
        return self.config.terms.variant

    @property
    def tip(self) -> int:
        return self.rounds.tip

    @property
    def faulted(self) -> bool:
        return bool(self.faults)

    @property
    def phase(self) -> Phase:
        if self.completed is not None:
            return Phase.COMPLETED
        if self.payouts_opened is not None:
            return Phase.PAYOUTS_OPEN
        if self.finalized_by is not None:
            return Phase.FINALIZED
        return Phase.ACTIVE

    def challenge_window_end(self, round_number: int) -> int:
        """The last second at which round ``round_number`` may be challenged (CC)."""
        time = self.rounds.links[round_number].time
        request = self.requests.get(round_number)
        if request is not None and request.status is DisputeStatus.ANSWERED and (request.answered_at or 0) > time:
            time = request.answered_at or time
        return time + self.config.terms.challenge_window

    def request_window_end(self, round_number: int) -> int:
        """The last second at which round ``round_number`` may be requested (after a close by anyone but the
        aggregator, or a fault, the tip stays requestable until ``tip_request_end``)."""
        end = self.rounds.links[round_number].time + self.config.terms.challenge_window
        if self.phase is Phase.FINALIZED and round_number == self.tip:
            end = max(end, self.tip_request_end)
        return end

    def payouts_open_after(self) -> int:
        """Payouts open strictly after this time (once finalized and nothing is pending)."""
        end = self.rounds.links[self.tip].time + self.config.terms.challenge_window
        return max([end, self.tip_request_end, *self.extensions.values()])

    def last_closed_round(self, now: int) -> int:
        """The latest round whose dispute window has closed at ``now`` (0 when none): rounds up to it can no
        longer be challenged or requested, so a joiner needs the openings from there on (the join rule)."""
        closed = 0
        for r in range(1, self.tip + 1):
            end = (self.challenge_window_end(r) if self.variant is Variant.COMMIT_CHALLENGE
                   else self.request_window_end(r))
            if end < now and all(d.status is not DisputeStatus.OPEN for d in (self.challenges.get(r),
                                                                                self.requests.get(r)) if d):
                closed = r
            else:
                break
        return closed

    def pending(self) -> tuple[int, int]:
        """Open challenges and requests (above the tip they are void but still count until reclaimed)."""
        return (sum(d.status is DisputeStatus.OPEN for d in self.challenges.values()),
                sum(d.status is DisputeStatus.OPEN for d in self.requests.values()))


def project(job_id: bytes, events: Iterable[ChainEvent], calldata: CalldataReader) -> JobProjection | None:
    """Fold one job's events into its projection (None before ``JobCreated``)."""
    job: JobProjection | None = None
    for e in events:
        if e.job_id != job_id:
            continue
        a = e.args
        if e.name == "JobCreated":
            config = JobConfig.from_abi(_tuple(a["config"]))
            rounds = RoundLog()
            rounds.append(0, int(a["genesisCommitment"]), e.block_time)
            job = JobProjection(job_id, config, int(a["nonce"]), int(a["domain"]), e.block_number, e.block_time,
                                rounds)
            _, args = calldata(e.tx_hash)
            words = tuple(int(w) for w in args["words"])
            job.openings[0] = OpenedState(0, int(a["genesisCommitment"]), len(words), 0, 0, words)
            continue
        if job is None:
            continue
        if e.name in ("RoundCommitted", "RoundCommittedWithProof"):
            r = int(a["round"])
            if r == job.rounds.tip + 1:
                job.rounds.append(r, int(a["commitment"]), e.block_time)
                job.commit_times[r] = e.tx_hash
                if e.name == "RoundCommittedWithProof":
                    job.proven.add(r)
        elif e.name == "Challenged":
            job.challenges[int(a["round"])] = Dispute(int(a["round"]), a["challenger"], e.block_time,
                                                      int(a["deadline"]), tx_hash=e.tx_hash)
        elif e.name == "ChallengeAnswered":
            _settle(job.challenges, a, DisputeStatus.ANSWERED, a["responder"], e.block_time)
        elif e.name == "ChallengeResolved":
            _settle(job.challenges, a, DisputeStatus.UNANSWERED, None, e.block_time)
        elif e.name == "ChallengeReclaimed":
            _settle(job.challenges, a, DisputeStatus.RECLAIMED, None, e.block_time)
        elif e.name == "OpeningRequested":
            job.requests[int(a["round"])] = Dispute(int(a["round"]), a["requester"], e.block_time,
                                                    int(a["deadline"]), tx_hash=e.tx_hash)
        elif e.name == "OpeningAnswered":
            _settle(job.requests, a, DisputeStatus.ANSWERED, a["answerer"], e.block_time)
        elif e.name == "RequestResolved":
            _settle(job.requests, a, DisputeStatus.UNANSWERED, None, e.block_time)
        elif e.name == "RequestReclaimed":
            _settle(job.requests, a, DisputeStatus.RECLAIMED, None, e.block_time)
        elif e.name == "StateOpened":
            _, args = calldata(e.tx_hash)
            words = tuple(int(w) for w in args["words"])
            job.openings[int(a["round"])] = OpenedState(int(a["round"]), int(a["commitment"]), int(a["n"]),
                                                        int(a["total"]), int(a["salt"]), words)
        elif e.name == "DisputeWindowExtended":
            job.extensions[int(a["round"])] = int(a["end"])
        elif e.name == "Faulted":
            job.faults.append((str(int(a["kind"])), int(a["round"]), int(a["tip"])))
            job.rounds.truncate(int(a["tip"]))
            # A fault that closes the job, or rolls a closed one back, keeps the tip requestable a window.
            if job.finalized_tx == e.tx_hash or int(a["kind"]) != FAULT_EQUIVOCATION:
                job.tip_request_end = max(job.tip_request_end, e.block_time + job.config.terms.challenge_window)
        elif e.name == "EquivocationProven":
            job.equivocations.append((int(a["round"]), a["prover"], int(a["otherCommitment"]),
                                      bool(a["afterPayoutsOpened"])))
        elif e.name == "JobFinalized":
            job.finalized_by, job.finalized_time, job.finalized_tx = str(a["by"]), e.block_time, e.tx_hash
            if job.finalized_by.lower() != job.config.aggregator.lower():
                job.tip_request_end = e.block_time + job.config.terms.challenge_window
        elif e.name == "PayoutsOpened":
            job.payouts_opened = {"tip": int(a["tip"]), "commitment": int(a["commitment"]), "faulted": a["faulted"],
                                  "recipient": a["rewardRecipient"], "reward": int(a["rewardAmount"]),
                                  "time": e.block_time, "tx": e.tx_hash}
        elif e.name == "BatchPaid":
            _, args = calldata(e.tx_hash)
            batch = _tuple(args["batch"])
            job.batches[int(a["batch"])] = PaidBatch(int(a["batch"]), a["submitter"], int(a["escrowOut"]),
                                                     int(a["bondOut"]), e.tx_hash, int(batch[1]), int(batch[2]),
                                                     tuple(int(w) for w in batch[3]))
        elif e.name == "JobCompleted":
            job.completed = (int(a["escrowRemainder"]), int(a["bondRemainder"]))
        elif e.name == "Transferred":
            job.transfers.append(e)
        elif e.name == "Credited":
            job.credits.append(e)
    return job


def _tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, dict):
        return tuple(value.values())
    return tuple(value)


def _settle(table: dict[int, Dispute], args: dict[str, Any], status: DisputeStatus, by: str | None,
            time: int) -> None:
    dispute = table.get(int(args["round"]))
    if dispute is not None:
        dispute.status = status
        dispute.answered_by = by
        dispute.answered_at = time


def calldata_reader(chain: Any, contract: Any) -> CalldataReader:
    """Decode transaction inputs with the contract's ABI (cached: a transaction's input never changes)."""
    cache: dict[str, tuple[str, dict[str, Any]]] = {}

    def read(tx_hash: str) -> tuple[str, dict[str, Any]]:
        if tx_hash not in cache:
            tx = chain.w3.eth.get_transaction(tx_hash)
            fn, args = contract.decode_function_input(tx["input"])
            cache[tx_hash] = (fn.fn_name, dict(args))
        return cache[tx_hash]

    return read
