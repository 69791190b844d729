"""What an audit found: per payee, per round, per dispute, per proof and per ledger, and a verdict.

Every check the auditor ran is listed (passed or not), so a reader sees what SOUND rests on; the verdict is
NOT SOUND as soon as one check failed, and ``reasons`` says each failure in plain words. The JSON form
(:meth:`AuditReport.to_json`) is documented field by field in ``docs/audit.md``: 256-bit values
(commitments, hashes) are ``0x`` hex strings and amounts and units are decimal strings, because JSON
readers other than Python's lose precision above 2^53; rounds, times, blocks and counts are numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: The JSON report's format tag (bump it on any incompatible change of docs/audit.md's schema).
REPORT_FORMAT = "settlefl.audit.v1"


class Verdict(StrEnum):
    SOUND = "SOUND"
    NOT_SOUND = "NOT SOUND"


def hex32(value: int) -> str:
    return f"0x{value:064x}"


@dataclass(frozen=True)
class CheckResult:
    """One check: what was compared (``name``), whether it held, and the finding in words."""

    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class ProofRecord:
    """One proof the contract accepted, re-verified with the independent verifier."""

    circuit: str
    function: str
    tx: str
    sender: str
    public_inputs: tuple[int, ...]
    ok: bool
    reason: str
    seconds: float
    round: int | None = None
    batch: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"circuit": self.circuit, "function": self.function, "tx": self.tx, "sender": self.sender,
                "round": self.round, "batch": self.batch, "publicInputs": [hex32(v) for v in self.public_inputs],
                "ok": self.ok, "reason": self.reason, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class Flow:
    """Money that left one of the job's ledgers outside a payout batch's loop (or a batch's credit)."""

    ledger: str
    to: str
    amount: int
    how: str  # "paid" (Transferred), "credited" (Credited)
    refund: bool
    tx: str
    cause: str  # what emitted it: the event before it in the same transaction

    def to_json(self) -> dict[str, Any]:
        return {"ledger": self.ledger, "to": self.to, "amount": str(self.amount), "how": self.how,
                "refund": self.refund, "tx": self.tx, "cause": self.cause}


@dataclass
class RoundRecord:
    round: int
    commitment: int
    time: int
    tx: str
    proven: bool
    challenge: str | None
    request: str | None
    opened: bool
    outcome: str  # "settled", "void (rolled back)", "committed" (not settled yet)

    def to_json(self) -> dict[str, Any]:
        return {"round": self.round, "commitment": hex32(self.commitment), "time": self.time, "tx": self.tx,
                "proven": self.proven, "challenge": self.challenge, "request": self.request, "opened": self.opened,
                "outcome": self.outcome}


@dataclass
class DisputeRecord:
    kind: str  # "challenge" or "request"
    round: int
    by: str
    time: int
    deadline: int
    status: str
    amount: int
    tx: str
    settled_by: str | None = None
    settled_at: int | None = None
    settle_tx: str | None = None
    flows: list[Flow] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "round": self.round, "by": self.by, "time": self.time, "deadline": self.deadline,
                "status": self.status, "amount": str(self.amount), "tx": self.tx, "settledBy": self.settled_by,
                "settledAt": self.settled_at, "settleTx": self.settle_tx, "flows": [f.to_json() for f in self.flows]}


@dataclass(frozen=True)
class PayeeRecord:
    """What one state word was owed and how it left the contract."""

    slot: int
    batch: int
    address: str
    units: int
    escrow: int
    bond: int
    status: str  # "paid", "credited", "partly credited", "nothing owed"
    tx: str

    @property
    def amount(self) -> int:
        return self.escrow + self.bond

    def to_json(self) -> dict[str, Any]:
        return {"slot": self.slot, "batch": self.batch, "address": self.address, "units": str(self.units),
                "escrow": str(self.escrow), "bond": str(self.bond), "amount": str(self.amount),
                "status": self.status, "tx": self.tx}


@dataclass(frozen=True)
class BatchRecord:
    index: int
    submitter: str
    tx: str
    n: int
    total: int
    escrow_out: int
    bond_out: int
    escrow_owed: int
    bond_owed: int

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "submitter": self.submitter, "tx": self.tx, "n": self.n, "total": str(self.total),
                "escrowOut": str(self.escrow_out), "bondOut": str(self.bond_out),
                "escrowOwed": str(self.escrow_owed), "bondOwed": str(self.bond_owed)}


@dataclass(frozen=True)
class LedgerRecord:
    ledger: str
    inflow: int
    paid: int
    credited: int
    refunded: int
    held: int

    @property
    def balanced(self) -> bool:
        return self.inflow == self.paid + self.credited + self.refunded + self.held

    def to_json(self) -> dict[str, Any]:
        return {"ledger": self.ledger, "inflow": str(self.inflow), "paid": str(self.paid),
                "credited": str(self.credited), "refunded": str(self.refunded), "held": str(self.held),
                "balanced": self.balanced}


@dataclass
class DeploymentRecord:
    contract: str
    extension: str | None = None
    code_ok: bool = False
    build_index: int | None = None
    participants: int | None = None
    batch: int | None = None
    build_name: str | None = None
    build_dir: str | None = None
    manifest_sha256: str | None = None
    development_setup: bool | None = None
    verifiers: dict[str, str] = field(default_factory=dict)
    verifier_ok: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"contract": self.contract, "extension": self.extension, "codeOk": self.code_ok,
                "build": {"index": self.build_index, "participants": self.participants, "batch": self.batch,
                          "name": self.build_name, "dir": self.build_dir, "manifestSha256": self.manifest_sha256,
                          "developmentSetup": self.development_setup},
                "verifiers": {c: {"address": a, "ok": self.verifier_ok.get(c, False)}
                              for c, a in self.verifiers.items()}}


@dataclass
class AuditReport:
    """Everything one audit of one job found."""

    chain_id: int
    contract: str
    job_id: bytes
    from_block: int
    to_block: int
    deployment: DeploymentRecord
    aggregator: str | None = None
    variant: str | None = None
    phase: str | None = None
    faulted: bool = False
    tip: int | None = None
    settled_commitment: int | None = None
    reward_recipient: str | None = None
    reward: int = 0
    completion: tuple[int, int] | None = None
    checks: list[CheckResult] = field(default_factory=list)
    rounds: list[RoundRecord] = field(default_factory=list)
    disputes: list[DisputeRecord] = field(default_factory=list)
    proofs: list[ProofRecord] = field(default_factory=list)
    ledgers: list[LedgerRecord] = field(default_factory=list)
    batches: list[BatchRecord] = field(default_factory=list)
    payees: list[PayeeRecord] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def reasons(self) -> list[str]:
        """Every failed check, in words (empty: SOUND)."""
        return [c.detail for c in self.checks if not c.ok]

    @property
    def verdict(self) -> Verdict:
        return Verdict.SOUND if self.checks and not self.reasons else Verdict.NOT_SOUND

    def check(self, name: str, ok: bool, detail: str) -> bool:
        """Record a check; returns ``ok`` so callers can branch on it."""
        self.checks.append(CheckResult(name, bool(ok), detail))
        return bool(ok)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "verdict": self.verdict.value,
            "reasons": self.reasons,
            "chainId": self.chain_id,
            "contract": self.contract,
            "jobId": "0x" + self.job_id.hex(),
            "blocks": {"from": self.from_block, "to": self.to_block},
            "aggregator": self.aggregator,
            "variant": self.variant,
            "phase": self.phase,
            "faulted": self.faulted,
            "tip": self.tip,
            "settledCommitment": None if self.settled_commitment is None else hex32(self.settled_commitment),
            "rewardRecipient": self.reward_recipient,
            "reward": str(self.reward),
            "completion": None if self.completion is None else {"escrowRemainder": str(self.completion[0]),
                                                                 "bondRemainder": str(self.completion[1])},
            "deployment": self.deployment.to_json(),
            "rounds": [r.to_json() for r in self.rounds],
            "disputes": [d.to_json() for d in self.disputes],
            "proofs": [p.to_json() for p in self.proofs],
            "ledgers": [ledger.to_json() for ledger in self.ledgers],
            "batches": [b.to_json() for b in self.batches],
            "payees": [p.to_json() for p in self.payees],
            "flows": [f.to_json() for f in self.flows],
            "checks": [c.to_json() for c in self.checks],
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
        }
