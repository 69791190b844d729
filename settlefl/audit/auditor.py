"""Audit one SettleFL job from the chain alone, trusting neither the aggregator nor the prover code.

:func:`audit` reads the contract's events from its deployment block into an in-memory store, rebuilds the
job with the shared projection (events plus the calldata of the transactions that emitted them), and
checks, independently of whoever played the job:

* **the deployment**: the contract and its extension are this project's code, and the job's build's four
  verifiers are exactly the ones compiled from the given build's manifest-verified Solidity sources (a
  verifier made from other keys could accept forged proofs of anything);
* **every proof the contract accepted**, re-verified with :mod:`settlefl.audit.groth16` (py-ecc, no code
  shared with the provers) against the manifest's verification keys, with public inputs recomputed from
  calldata, the job and each transaction's sender: the genesis Opening, every Transition (proof-carrying
  commits and challenge responses), every answered opening request, every equivocation Receipt and every
  Payout batch;
* **every history in calldata** against the rounds the events record, and the rolling hash the events
  imply against the contract's stored head;
* **every ledger** (escrow, aggregator bond, disputes): inflow = paid + credited + refunded + held, each
  outflow explained by the rule that caused it (a dispute's outcome, the fault reward, a batch, the
  completion remainders);
* **every payout against the settled state**: the opened commitment is the projection's tip, the batches
  agree on ``n`` and ``total``, and what each payee is owed (clean: ``units * unitPrice``; fault: the
  escrow pro rata plus the participants' share of the bond, ``rho`` = 10% to the reward recipient) sums
  to what each ``BatchPaid`` says left the ledgers.

The result is an :class:`~settlefl.audit.report.AuditReport` with a verdict: SOUND only if every check
held; otherwise NOT SOUND with every failure in words. What the auditor cannot check is said in the
report's notes (a CC round nobody challenged is accepted by the protocol's optimistic rule, not proven).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract
from web3.exceptions import Web3RPCError

from settlefl.audit.groth16 import (
    Groth16Verifier,
    VerificationKey,
    VerificationKeyError,
    key_matches_solidity,
    proof_from_solidity,
)
from settlefl.audit.report import (
    AuditReport,
    BatchRecord,
    DeploymentRecord,
    DisputeRecord,
    Flow,
    LedgerRecord,
    PayeeRecord,
    ProofRecord,
    RoundRecord,
)
from settlefl.chain.client import Chain
from settlefl.chain.contract import JobConfig, JobView, SettleFL, Variant
from settlefl.chain.deploy import VERIFIER_ORDER, build_verifiers, check_code, verifier_mismatches
from settlefl.chain.errors import CalldataUnavailable, ChainError, DeploymentMismatch
from settlefl.chain.history import link_hash
from settlefl.chain.projection import DisputeStatus, JobProjection, project
from settlefl.chain.watcher import ChainEvent, EventStore, EventWatcher
from settlefl.circuits.manifest import Manifest, sha256_file
from settlefl.circuits.prover import Groth16Proof
from settlefl.circuits.spec import SPECS, Circuit
from settlefl.circuits.witness import pack_round_and_sender
from settlefl.compression import CompressionError, opening_challenge, payout_challenge
from settlefl.crypto.field import FIELD_MODULUS
from settlefl.params import ADDRESS_BITS, ADDRESS_MASK, RHO_BPS, WORD_BITS

log = logging.getLogger(__name__)

BPS = 10_000
LEDGERS = ("escrow", "bond", "disputes")  # ISettleFLTypes.LedgerKind order
_MARKERS = frozenset({
    "PayoutsOpened", "BatchPaid", "JobCompleted", "ChallengeAnswered", "ChallengeResolved", "ChallengeReclaimed",
    "OpeningAnswered", "RequestResolved", "RequestReclaimed", "EquivocationProven",
})


class AuditError(ChainError):
    """The audit could not run (no contract, no such job, a node without the history it needs)."""


@dataclass(frozen=True)
class Call:
    """A transaction's call of the contract, decoded with its ABI."""

    tx: str
    sender: str
    function: str
    args: dict[str, Any]
    block: int


class CallReader:
    """Decodes the input of transactions that called the contract directly (cached: inputs never change).

    A transaction that reached the contract through another contract (a multisig, a relayer) has another
    input and another sender than the call the contract saw; reading it would need a trace, so it is
    refused with :class:`CalldataUnavailable` and the audit reports it as unverifiable.
    """

    def __init__(self, chain: Chain, contract: Contract) -> None:
        self.chain = chain
        self.contract = contract
        self._cache: dict[str, Call] = {}

    def call(self, tx_hash: str) -> Call:
        if tx_hash not in self._cache:
            tx = self.chain.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            to = tx.get("to")
            if to is None or to_checksum_address(to) != to_checksum_address(self.contract.address):
                raise CalldataUnavailable(
                    f"transaction {tx_hash} called {to}, not the contract: it went through another contract, "
                    "so its calldata and sender are not the contract's (this auditor reads direct calls only)"
                )
            fn, args = self.contract.decode_function_input(tx["input"])
            self._cache[tx_hash] = Call(_hexstr(tx_hash), to_checksum_address(tx["from"]), str(fn.fn_name),
                                        dict(args), int(tx["blockNumber"]))
        return self._cache[tx_hash]

    def calldata(self, tx_hash: str) -> tuple[str, dict[str, Any]]:
        """The projection's :data:`~settlefl.chain.projection.CalldataReader`."""
        call = self.call(tx_hash)
        return call.function, call.args


def _seq(value: Any) -> tuple[Any, ...]:
    """A decoded ABI struct as a tuple (web3 returns tuples, or dicts for named components)."""
    if isinstance(value, dict):
        return tuple(value.values())
    return tuple(value)


def _hexstr(tx: str) -> str:
    return tx if tx.startswith("0x") else "0x" + tx


def deployment_block(chain: Chain, address: str) -> int:
    """The block that created the contract at ``address``, by bisection over ``eth_getCode`` at past
    blocks (needs a node that keeps historical state: an archive node, or anvil)."""
    address = to_checksum_address(address)
    latest = chain.block_number()
    if not chain.w3.eth.get_code(address, latest):
        raise AuditError(f"there is no contract at {address} on chain {chain.chain_id}: check --contract and --rpc")
    lo, hi = 0, latest
    try:
        while lo < hi:
            mid = (lo + hi) // 2
            if chain.w3.eth.get_code(address, mid):
                hi = mid
            else:
                lo = mid + 1
    except (Web3RPCError, ValueError) as exc:
        raise AuditError(
            f"the node at {chain.url} cannot read past state to find when {address} was deployed ({exc}); "
            "pass the deployment block with --from-block"
        ) from exc
    return lo


def expected_job_id(aggregator: str, nonce: int) -> bytes:
    return keccak(encode(["address", "uint256"], [to_checksum_address(aggregator), nonce]))


def expected_domain(chain_id: int, contract: str, job_id: bytes) -> int:
    digest = keccak(encode(["uint256", "address", "bytes32"], [chain_id, to_checksum_address(contract), job_id]))
    return int.from_bytes(digest, "big") % FIELD_MODULUS


@dataclass
class _Section:
    """Collects the failures of one group of checks; records one passing summary when there were none."""

    report: AuditReport
    name: str
    failures: int = 0

    def fail(self, detail: str) -> None:
        self.failures += 1
        self.report.check(self.name, False, detail)

    def expect(self, ok: bool, detail: str) -> bool:
        if not ok:
            self.fail(detail)
        return ok

    def done(self, detail: str) -> None:
        if not self.failures:
            self.report.check(self.name, True, detail)


@dataclass
class _Money:
    """Running ledger totals while walking the events in order."""

    out: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEDGERS, 0))
    paid: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEDGERS, 0))
    credited: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEDGERS, 0))
    refunded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEDGERS, 0))
    inflow: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEDGERS, 0))


class Auditor:
    """One audit of one job (use :func:`audit`)."""

    def __init__(self, chain: Chain, contract_address: str, job_id: bytes, build_dirs: Sequence[Path],
                 from_block: int | None = None) -> None:
        self.chain = chain
        self.settle = SettleFL(chain, contract_address)
        self.job_id = bytes(job_id)
        self.build_dirs = [Path(d) for d in build_dirs]
        self.from_block = from_block
        self.reader = CallReader(chain, self.settle.interface)
        self.verifiers: dict[Circuit, Groth16Verifier] = {}
        self.build_name = "?"
        self.notes: list[str] = []
        # filled while the events are walked
        self.report: AuditReport
        self.job: JobProjection
        self.domain = 0
        self.links: dict[int, tuple[int, int, str]] = {}
        self.hashes: dict[int, int] = {}
        self.money = _Money()
        self.proof_section: _Section
        self.payout_section: _Section
        self.batch_calls: dict[int, tuple[Call, int, int, list[int]]] = {}
        self.expected: dict[tuple[str, int], list[tuple[str, str, int, bool]]] = {}
        self.caused: dict[tuple[str, int], list[Flow]] = {}
        self._dispute_cause: dict[tuple[str, int], tuple[str, int]] = {}

    # ------------------------------------------------------------------------------------ driver

    def run(self) -> AuditReport:
        started = time.perf_counter()
        address = self.settle.address
        start = self.from_block if self.from_block is not None else deployment_block(self.chain, address)
        store = EventStore(":memory:")
        try:
            watcher = EventWatcher(self.chain, self.settle.contract, store, start_block=start)
            watcher.sync()
            end = store.cursor(watcher.name) or start
            events = store.events(self.job_id)
        finally:
            store.close()
        log.info("read %d events of job 0x%s from blocks %d..%d", len(events), self.job_id.hex(), start, end)
        report = AuditReport(self.chain.chain_id, address, self.job_id, start, end, DeploymentRecord(address))
        self.report = report
        try:
            job = project(self.job_id, events, self.reader.calldata)
        except CalldataUnavailable as exc:
            report.check("projection", False, f"the job cannot be rebuilt from calldata: {exc}")
            report.seconds = time.perf_counter() - started
            return report
        if job is None:
            raise AuditError(
                f"no job 0x{self.job_id.hex()} on contract {address} (chain {self.chain.chain_id}, blocks "
                f"{start}..{end}): check --job and --contract"
            )
        self.job = job
        report.aggregator = job.config.aggregator
        report.variant = "CC" if job.variant is Variant.COMMIT_CHALLENGE else "CP"
        report.phase = job.phase.name
        report.faulted = job.faulted
        report.tip = job.tip
        self.proof_section = _Section(report, "proofs")
        self.payout_section = _Section(report, "payouts")
        self._deployment()
        self._identity()
        self._rounds(events)
        self._calls(events)
        self._money(events)
        self._storage()
        self.proof_section.done(f"all {len(report.proofs)} proofs the contract accepted verify with build "
                                f"{self.build_name}'s keys (independent verifier)")
        if job.payouts_opened is not None:
            self.payout_section.done("payouts open the settled tip, and every batch pays what the state owes")
        report.notes = self.notes
        report.seconds = time.perf_counter() - started
        log.info("audit of job 0x%s: %s in %.1f s (%d proofs re-verified)", self.job_id.hex(), report.verdict.value,
                 report.seconds, len(report.proofs))
        return report

    # -------------------------------------------------------------------------------- deployment

    def _deployment(self) -> None:
        """The contract's code, and the job's build's verifiers against a manifest-verified build."""
        report, dep = self.report, self.report.deployment
        section = _Section(report, "deployment")
        try:
            check_code(self.chain, self.settle.address, "SettleFL", "SettleFL")
            dep.extension = to_checksum_address(self.settle.contract.functions.extension().call())
            check_code(self.chain, dep.extension, "SettleFLExtension", "SettleFL extension")
            dep.code_ok = True
        except DeploymentMismatch as exc:
            section.fail(f"{exc}: the rules this job was played by are not SettleFL's")
        index = self.job.config.terms.build
        build = self.settle.build_at(index)
        dep.build_index, dep.participants, dep.batch = index, build.participants, build.batch_size
        dep.verifiers = {c.value: a for c, a in build_verifiers(build).items()}
        candidates = []
        for build_dir in self.build_dirs:
            try:
                manifest = Manifest.load(build_dir)
            except (OSError, ValueError) as exc:
                section.fail(f"{build_dir} is not a readable build: {exc}")
                continue
            if (manifest.participants, manifest.batch) == (build.participants, build.batch_size):
                candidates.append((build_dir, manifest))
        if not candidates:
            given = ", ".join(str(d) for d in self.build_dirs) or "none"
            section.fail(
                f"the job uses build {index} (N = {build.participants}, B = {build.batch_size}) and no build directory "
                f"given has those parameters (given: {given}): its verifiers and proofs cannot be checked; pass the "
                "build's directory with --build"
            )
            return
        chosen: tuple[Path, Manifest, list[Any]] | None = None
        for build_dir, manifest in candidates:
            try:
                mismatches = verifier_mismatches(self.chain, build, build_dir)
            except DeploymentMismatch as exc:
                section.fail(str(exc))
                continue
            if chosen is None or len(mismatches) < len(chosen[2]):
                chosen = (build_dir, manifest, mismatches)
        if chosen is None:
            return
        build_dir, manifest, mismatches = chosen
        self.build_name = manifest.build
        dep.build_name, dep.build_dir = manifest.build, str(build_dir)
        dep.manifest_sha256 = sha256_file(build_dir / "manifest.json")
        dep.development_setup = manifest.development
        bad = {m.circuit for m in mismatches}
        for mismatch in mismatches:
            section.fail(
                f"the {mismatch.circuit.value} verifier at {mismatch.address} is not the one compiled from build "
                f"{manifest.build}'s manifest-verified {mismatch.circuit.value} source ({build_dir}): whoever "
                "deployed it could make it accept forged proofs"
            )
        dep.verifier_ok = {c.value: c not in bad for c in VERIFIER_ORDER}
        for circuit in VERIFIER_ORDER:
            self._load_key(section, build_dir, manifest, circuit)
        if manifest.development:
            self.notes.append(f"build {manifest.build} is a development setup (its ptau is not from a public "
                              "ceremony): fine for tests, never for real money")
        section.done(f"SettleFL, its extension and the four verifiers of build {index} are this project's code "
                     f"compiled from build {manifest.build}'s manifest-verified sources ({build_dir})")

    def _load_key(self, section: _Section, build_dir: Path, manifest: Manifest, circuit: Circuit) -> None:
        entry = manifest.circuits[circuit]
        vkey_path = manifest.path(build_dir, circuit, "vkey")
        source_path = manifest.path(build_dir, circuit, "verifier")
        for path, digest in ((vkey_path, entry.files["vkey"].sha256), (source_path, entry.files["verifier"].sha256)):
            if not path.exists() or sha256_file(path) != digest:
                section.fail(f"{path} does not match build {manifest.build}'s manifest: the build directory was "
                             "altered")
                return
        try:
            vk = VerificationKey.load(vkey_path)
        except VerificationKeyError as exc:
            section.fail(f"the {circuit.value} verification key of build {manifest.build} is unusable: {exc}")
            return
        differ = key_matches_solidity(vk, source_path.read_text())
        if differ:
            section.fail(f"build {manifest.build}'s {circuit.value} verification key and Solidity verifier hold "
                         f"different keys ({', '.join(differ[:4])} differ): the manifest vouches for inconsistent "
                         "files")
            return
        self.verifiers[circuit] = Groth16Verifier(vk)

    # --------------------------------------------------------------------------------- identity

    def _identity(self) -> None:
        job, report = self.job, self.report
        section = _Section(report, "identity")
        section.expect(expected_job_id(job.config.aggregator, job.nonce) == self.job_id,
                       f"the job id is not keccak256(aggregator {job.config.aggregator}, nonce {job.nonce})")
        self.domain = expected_domain(self.chain.chain_id, self.settle.address, self.job_id)
        section.expect(self.domain == job.domain,
                       f"JobCreated says domain {job.domain}, but keccak256(chainId, contract, jobId) mod p is "
                       f"{self.domain}")
        section.done("the job id and domain are the ones the aggregator, nonce, chain and contract give")

    # ----------------------------------------------------------------------------------- rounds

    def _rounds(self, events: Sequence[ChainEvent]) -> None:
        """Every round ever committed (rolled-back ones included) and their rolling hashes."""
        job, report = self.job, self.report
        section = _Section(report, "rounds")
        for e in events:
            if e.name == "JobCreated":
                self.links[0] = (int(e.args["genesisCommitment"]), e.block_time, _hexstr(e.tx_hash))
            elif e.name in ("RoundCommitted", "RoundCommittedWithProof"):
                r = int(e.args["round"])
                if r in self.links or r - 1 not in self.links:
                    section.fail(f"round {r} was committed out of order (tx {_hexstr(e.tx_hash)})")
                self.links.setdefault(r, (int(e.args["commitment"]), e.block_time, _hexstr(e.tx_hash)))
        h = 0
        for r in sorted(self.links):
            commitment, t, _ = self.links[r]
            h = self.hashes[r] = link_hash(h, r, commitment, t)
        if job.variant is Variant.COMMIT_PROOF:
            unproven = [r for r in range(1, job.tip + 1) if r not in job.proven]
            section.expect(not unproven, f"this CP job has rounds committed without a Transition proof: {unproven}")
        else:
            optimistic = [r for r in range(1, job.tip + 1) if r not in job.proven
                          and not (r in job.challenges and job.challenges[r].status is DisputeStatus.ANSWERED)]
            if optimistic:
                one = len(optimistic) == 1
                self.notes.append(
                    f"{'round' if one else 'rounds'} {_ranges(optimistic)} of this CC job {'was' if one else 'were'} "
                    f"never proven: nobody challenged {'it' if one else 'them'} in time, so the protocol's "
                    "optimistic rule accepts " + ("it" if one else "them") + " (a transition nobody opened cannot "
                    "be checked)")
        opened = report.phase in ("PAYOUTS_OPEN", "COMPLETED")
        for r in sorted(self.links):
            commitment, t, tx = self.links[r]
            challenge = job.challenges.get(r)
            request = job.requests.get(r)
            outcome = "void (rolled back)" if r > job.tip else ("settled" if opened else "committed")
            report.rounds.append(RoundRecord(r, commitment, t, tx, r in job.proven or (
                challenge is not None and challenge.status is DisputeStatus.ANSWERED),
                challenge.status.value if challenge else None, request.status.value if request else None,
                r in job.openings, outcome))
        section.done(f"rounds 0..{max(self.links)} were committed in order")

    def _history(self, section: _Section, value: Any, call: Call, what: str) -> dict[int, int] | None:
        """A calldata history checked against the rounds the events record; returns its commitments by round."""
        before, last, links = _seq(value)
        items = [tuple(int(x) for x in _seq(link)) for link in links]
        first = int(last) + 1 - len(items)
        out: dict[int, int] = {}
        problem = None
        if not items or first < 0:
            problem = "it is empty"
        elif int(before) != (self.hashes.get(first - 1, -1) if first > 0 else 0):
            problem = f"its hash before round {first} is not the one the events imply"
        else:
            for offset, (commitment, t) in enumerate(items):
                r = first + offset
                known = self.links.get(r)
                if known is None or (known[0], known[1]) != (commitment, t):
                    problem = f"its round {r} is not the round the events record"
                    break
                out[r] = commitment
        if problem:
            section.fail(f"the history in {what} (tx {call.tx}) disagrees with the events: {problem}")
            return None
        return out

    # ------------------------------------------------------------------------------------ calls

    def _calls(self, events: Sequence[ChainEvent]) -> None:
        """Re-verify every accepted proof and check every call's calldata against the events."""
        job, report = self.job, self.report
        section = _Section(report, "calldata")
        seen: set[tuple[str, str]] = set()
        for e in events:
            key = (e.name, e.tx_hash)
            if key in seen:
                continue
            seen.add(key)
            handler = {
                "JobCreated": self._create, "RoundCommittedWithProof": self._commit_with_proof,
                "ChallengeAnswered": self._respond, "StateOpened": self._answer,
                "EquivocationProven": self._equivocation, "BatchPaid": self._payout,
            }.get(e.name)
            try:
                call = self.reader.call(e.tx_hash)
            except CalldataUnavailable as exc:
                if handler is not None:
                    section.fail(f"{e.name}: {exc}")
                continue
            if "cfg" in call.args:
                section.expect(JobConfig.from_abi(_seq(call.args["cfg"])) == job.config,
                               f"{call.function} (tx {call.tx}) passed another configuration than JobCreated's")
            if "jobId" in call.args:
                section.expect(bytes(call.args["jobId"]) == self.job_id,
                               f"{call.function} (tx {call.tx}) names another job")
            if handler is not None:
                handler(section, e, call)
        self._payout_totals()
        section.done("every call's configuration, job and history agree with the events")

    def _verify(self, circuit: Circuit, call: Call, proof_value: Any, public: Sequence[int], what: str,
                round_number: int | None = None, batch: int | None = None) -> None:
        a, b, c = _seq(proof_value)
        proof: Groth16Proof = proof_from_solidity(a, b, c)
        verifier = self.verifiers.get(circuit)
        if verifier is None:
            ok, reason, seconds = False, "no trusted verification key for this circuit", 0.0
        else:
            result = verifier.check(proof, list(public))
            ok, reason, seconds = result.ok, result.reason, result.seconds
        self.report.proofs.append(ProofRecord(circuit.value, call.function, call.tx, call.sender, tuple(public), ok,
                                              reason, seconds, round_number, batch))
        if not ok:
            self.proof_section.fail(
                f"the contract accepted an invalid {SPECS[circuit].template} proof in {what} (tx {call.tx}, sender "
                f"{call.sender}): it does not verify with build {self.build_name}'s {circuit.value} verification key "
                f"({reason})")

    def _create(self, section: _Section, e: ChainEvent, call: Call) -> None:
        job, args = self.job, call.args
        words = [int(w) for w in args["words"]]
        genesis = int(args["genesisCommitment"])
        section.expect(call.function == "createJob" and call.sender == job.config.aggregator,
                       f"JobCreated's transaction {call.tx} is not createJob by the aggregator")
        section.expect(genesis == int(e.args["genesisCommitment"]) and len(words) == int(e.args["n"]),
                       f"createJob's calldata (tx {call.tx}) differs from its JobCreated event")
        terms = _seq(args["terms"])
        expected = job.config.terms.as_abi()
        same = [i for i, (x, y) in enumerate(zip(terms, expected, strict=True)) if i != 5 and _norm(x) != _norm(y)]
        section.expect(not same, f"JobCreated's terms differ from createJob's calldata (tx {call.tx})")
        try:
            challenge = opening_challenge(
                chain_id=self.chain.chain_id, contract=self.settle.address, job_id=self.job_id, sender=call.sender,
                commitment=genesis, domain=self.domain, round_number=0, n=len(words), total=0,
                max_units=job.config.terms.max_units, salt=0, words=words)
        except CompressionError as exc:
            self.proof_section.fail(f"the genesis in createJob (tx {call.tx}) cannot be compressed: {exc}")
            return
        self._verify(Circuit.OPENING, call, args["proof"], [genesis, challenge.x, challenge.y],
                     "createJob (the genesis opening)", 0)

    def _commit_with_proof(self, section: _Section, e: ChainEvent, call: Call) -> None:
        r = int(e.args["round"])
        section.expect(call.function == "commitWithProof" and call.sender == self.job.config.aggregator and
                       expected_job_id(call.sender, int(call.args["nonce"])) == self.job_id,
                       f"round {r}'s proof-carrying commit (tx {call.tx}) is not commitWithProof by the aggregator")
        rounds = self._history(section, call.args["tip"], call, f"commitWithProof of round {r}")
        if rounds is None:
            return
        if r - 1 not in rounds:
            section.fail(f"commitWithProof of round {r} (tx {call.tx}) does not carry round {r - 1}")
            return
        commitment = int(call.args["commitment"])
        section.expect(commitment == int(e.args["commitment"]), f"commitWithProof's calldata (tx {call.tx}) differs "
                                                                "from its event")
        public = [rounds[r - 1], commitment, pack_round_and_sender(r, call.sender)]
        self._verify(Circuit.TRANSITION, call, call.args["proof"], public, f"commitWithProof of round {r}", r)

    def _respond(self, section: _Section, e: ChainEvent, call: Call) -> None:
        r = int(e.args["round"])
        section.expect(call.function == "respond" and int(call.args["round"]) == r
                       and to_checksum_address(e.args["responder"]) == call.sender,
                       f"the answer to round {r}'s challenge (tx {call.tx}) is not a respond call by its responder")
        rounds = self._history(section, call.args["history"], call, f"respond to round {r}'s challenge")
        if rounds is None:
            return
        if r - 1 not in rounds or r not in rounds:
            section.fail(f"the response to round {r}'s challenge (tx {call.tx}) does not carry rounds {r - 1}, {r}")
            return
        public = [rounds[r - 1], rounds[r], pack_round_and_sender(r, call.sender)]
        self._verify(Circuit.TRANSITION, call, call.args["proof"], public, f"respond to round {r}'s challenge", r)

    def _answer(self, section: _Section, e: ChainEvent, call: Call) -> None:
        r = int(e.args["round"])
        args = call.args
        section.expect(call.function == "answerOpening" and int(args["round"]) == r,
                       f"round {r}'s opening (tx {call.tx}) is not an answerOpening call")
        rounds = self._history(section, args["history"], call, f"answerOpening of round {r}")
        if rounds is None:
            return
        if r not in rounds:
            section.fail(f"the answer to round {r}'s opening request (tx {call.tx}) does not carry round {r}")
            return
        words = [int(w) for w in args["words"]]
        salt, total = int(args["salt"]), int(args["total"])
        section.expect((rounds[r], len(words), total, salt) == (int(e.args["commitment"]), int(e.args["n"]),
                                                              int(e.args["total"]), int(e.args["salt"])),
                       f"answerOpening's calldata (tx {call.tx}) differs from its StateOpened event")
        try:
            challenge = opening_challenge(
                chain_id=self.chain.chain_id, contract=self.settle.address, job_id=self.job_id, sender=call.sender,
                commitment=rounds[r], domain=self.domain, round_number=r, n=len(words), total=total,
                max_units=self.job.config.terms.max_units, salt=salt, words=words)
        except CompressionError as exc:
            self.proof_section.fail(f"the opening of round {r} (tx {call.tx}) cannot be compressed: {exc}")
            return
        self._verify(Circuit.OPENING, call, args["proof"], [rounds[r], challenge.x, challenge.y],
                     f"answerOpening of round {r}", r)

    def _equivocation(self, section: _Section, e: ChainEvent, call: Call) -> None:
        r = int(e.args["round"])
        args = call.args
        other = int(args["otherCommitment"])
        section.expect(call.function == "proveEquivocation" and int(args["round"]) == r
                       and other == int(e.args["otherCommitment"])
                       and to_checksum_address(e.args["prover"]) == call.sender,
                       f"the equivocation proof of round {r} (tx {call.tx}) differs from its event")
        rounds = self._history(section, args["history"], call, f"proveEquivocation of round {r}")
        if rounds is not None and r in rounds:
            section.expect(other != rounds[r], f"the equivocation of round {r} (tx {call.tx}) names the chain's own "
                                               "commitment")
        public = [other, self.domain, self.job.config.terms.pub_hash, pack_round_and_sender(r, call.sender)]
        self._verify(Circuit.RECEIPT, call, args["proof"], public, f"proveEquivocation of round {r}", r)

    def _payout(self, section: _Section, e: ChainEvent, call: Call) -> None:
        job, args = self.job, call.args
        index, n, total, words_raw = _seq(args["batch"])
        index, n, total = int(index), int(n), int(total)
        words = [int(w) for w in words_raw]
        payouts = self.payout_section
        payouts.expect(call.function == "payout" and index == int(e.args["batch"])
                       and to_checksum_address(e.args["submitter"]) == call.sender,
                       f"BatchPaid of batch {e.args['batch']} (tx {call.tx}) is not its payout call")
        opened = job.payouts_opened
        if opened is None:
            payouts.fail(f"batch {index} was paid (tx {call.tx}) but PayoutsOpened was never emitted")
            return
        tip, c_tip = job.tip, job.rounds.links[job.tip].commitment
        rounds = self._history(section, args["tip"], call, f"payout of batch {index}")
        if rounds is not None:
            payouts.expect(max(rounds) == tip and rounds[tip] == c_tip,
                           f"the payout of batch {index} (tx {call.tx}) carries a history that does not end at the "
                           f"settled tip {tip}")
        size = self.report.deployment.batch or len(words)
        payouts.expect(len(words) == size, f"batch {index} (tx {call.tx}) has {len(words)} words, the build pays "
                                           f"{size} per batch")
        payouts.expect(n > 0 and index * size < n, f"batch {index} (tx {call.tx}) is outside the state's n = {n}")
        for k, w in enumerate(words):
            if not 0 <= w < (1 << WORD_BITS):
                payouts.fail(f"word {k} of batch {index} (tx {call.tx}) is not below 2^253")
            elif index * size + k >= n and w:
                payouts.fail(f"batch {index} (tx {call.tx}) has a non-zero word at slot {index * size + k} >= n = {n}")
        self.batch_calls[index] = (call, n, total, words)
        try:
            challenge = payout_challenge(
                chain_id=self.chain.chain_id, contract=self.settle.address, job_id=self.job_id, sender=call.sender,
                commitment=c_tip, domain=self.domain, round_number=tip, n=n, total=total, batch=index, words=words)
        except CompressionError as exc:
            self.proof_section.fail(f"batch {index} (tx {call.tx}) cannot be compressed: {exc}")
            return
        self._verify(Circuit.PAYOUT, call, args["proof"], [c_tip, challenge.x, challenge.y],
                     f"the payout of batch {index}", tip, index)

    def _payout_totals(self) -> None:
        """The batches agree on the settled state, and together cover it."""
        job, payouts = self.job, self.payout_section
        opened = job.payouts_opened
        if opened is not None:
            c_tip = job.rounds.links[job.tip].commitment
            self.report.settled_commitment = int(opened["commitment"])
            payouts.expect(int(opened["tip"]) == job.tip and int(opened["commitment"]) == c_tip,
                           f"PayoutsOpened settled round {opened['tip']} with commitment {opened['commitment']}, "
                           f"but the rounds the events record end at round {job.tip} with {c_tip}")
            payouts.expect(bool(opened["faulted"]) == job.faulted,
                           f"PayoutsOpened says faulted = {opened['faulted']}, the events record "
                           f"{len(job.faults)} fault(s)")
        if not self.batch_calls:
            return
        shapes = {(n, total) for _, n, total, _ in self.batch_calls.values()}
        if not payouts.expect(len(shapes) == 1,
                              f"the paid batches disagree on the settled (n, total): {sorted(shapes)}"):
            return
        (n, total), = shapes
        size = self.report.deployment.batch or 1
        batches = -(-n // size)
        if job.completed is not None and total:
            missing = sorted(set(range(batches)) - set(self.batch_calls))
            payouts.expect(not missing, f"the job completed with batches {missing} unpaid")
        if len(self.batch_calls) == batches:
            units = sum(w >> ADDRESS_BITS for _, _, _, words in self.batch_calls.values() for w in words)
            payouts.expect(units == total, f"the batches' units sum to {units}, the settled total is {total}")

    # ------------------------------------------------------------------------------------ money

    def _owed(self, words: Sequence[int], total: int) -> list[tuple[int, int, int, int]]:
        """``(address, units, escrow, bond)`` per word, as the contract computes each payee's amount."""
        terms = self.job.config.terms
        fault = self.job.faulted
        bond_share = terms.bond - terms.bond * RHO_BPS // BPS
        out = []
        for w in words:
            address, units = w & ADDRESS_MASK, w >> ADDRESS_BITS
            if not address or not units or not total:
                out.append((address, units, 0, 0))
            elif fault:
                out.append((address, units, units * terms.escrow // total, units * bond_share // total))
            else:
                out.append((address, units, units * terms.unit_price, 0))
        return out

    def _money(self, events: Sequence[ChainEvent]) -> None:
        """Walk the events in order: every flow explained by its cause, every batch by the state it pays."""
        job, report = self.job, self.report
        terms = job.config.terms
        ledgers = _Section(report, "ledgers")
        flows_section = _Section(report, "flows")
        money = _Money()
        money.inflow["escrow"], money.inflow["bond"] = terms.escrow, terms.bond
        disputes: dict[tuple[str, int], DisputeRecord] = {}
        by_tx: dict[str, list[ChainEvent]] = {}
        for e in events:
            by_tx.setdefault(e.tx_hash, []).append(e)
        for tx_events in by_tx.values():
            cause: ChainEvent | None = None
            pending_credits: list[Flow] = []
            for e in tx_events:
                a = e.args
                if e.name == "Challenged":
                    money.inflow["disputes"] += terms.challenger_bond
                    disputes[("challenge", int(a["round"]))] = DisputeRecord(
                        "challenge", int(a["round"]), to_checksum_address(a["challenger"]), e.block_time,
                        int(a["deadline"]), "open", terms.challenger_bond, _hexstr(e.tx_hash))
                elif e.name == "OpeningRequested":
                    money.inflow["disputes"] += terms.request_fee
                    disputes[("request", int(a["round"]))] = DisputeRecord(
                        "request", int(a["round"]), to_checksum_address(a["requester"]), e.block_time,
                        int(a["deadline"]), "open", terms.request_fee, _hexstr(e.tx_hash))
                elif e.name == "EquivocationProven":
                    disputes[("equivocation", int(a["round"]))] = DisputeRecord(
                        "equivocation", int(a["round"]), to_checksum_address(a["prover"]), e.block_time, 0,
                        "proven after payouts opened" if a["afterPayoutsOpened"] else "proven (a fault)", 0,
                        _hexstr(e.tx_hash))
                if e.name in _MARKERS:
                    self._settle_dispute(flows_section, disputes, e)
                    if e.name == "BatchPaid":
                        self._batch(money, e, pending_credits)
                        pending_credits = []
                    elif e.name == "JobCompleted":
                        self._completion(money, e)
                    cause = e
                    self.expected.setdefault(self._key(e), self._expected_flows(e, money, disputes))
                elif e.name in ("Transferred", "Credited"):
                    flow = self._flow(e, cause)
                    if cause is None and flow.how == "credited" and self._is_payout(e.tx_hash):
                        pending_credits.append(replace(flow, cause="BatchPaid"))  # a payee's credit in the batch loop
                        continue
                    if cause is None:
                        flows_section.fail(f"{flow.amount} left the {flow.ledger} ledger to {flow.to} (tx {flow.tx}) "
                                           "with no cause the protocol knows")
                        continue
                    money.out[flow.ledger] += flow.amount
                    self._book(money, flow)
                    report.flows.append(flow)
                    self.caused.setdefault(self._key(cause), []).append(flow)
                    for record in disputes.values():
                        if record.settle_tx == flow.tx and self._dispute_cause.get((record.kind, record.round)) == \
                                self._key(cause):
                            record.flows.append(flow)
            for flow in pending_credits:
                flows_section.fail(f"{flow.amount} was credited to {flow.to} from the {flow.ledger} ledger (tx "
                                   f"{flow.tx}) in a payout that paid no batch")
        self._match_flows(flows_section)
        report.disputes = sorted(disputes.values(), key=lambda d: (d.round, d.kind))
        # read at the last block whose events were read, so a transaction mined meanwhile cannot skew it
        held = self.settle.contract.functions.heldOf(self.job_id, job.config.as_abi()).call(
            block_identifier=report.to_block)
        for i, ledger in enumerate(LEDGERS):
            row = LedgerRecord(ledger, money.inflow[ledger], money.paid[ledger], money.credited[ledger],
                               money.refunded[ledger], int(held[i]))
            report.ledgers.append(row)
            ledgers.expect(row.balanced, (
                f"the {ledger} ledger does not balance: {row.inflow} in, but {row.paid} paid + {row.credited} "
                f"credited + {row.refunded} refunded + {row.held} held = "
                f"{row.paid + row.credited + row.refunded + row.held}"))
        self.money = money
        ledgers.done("escrow, bond and disputes ledgers each balance: inflow = paid + credited + refunded + held")
        flows_section.done("every transfer and credit out of the job's ledgers follows from a rule of the protocol")

    @staticmethod
    def _key(e: ChainEvent) -> tuple[str, int]:
        return (e.tx_hash, e.log_index)

    def _is_payout(self, tx_hash: str) -> bool:
        try:
            return self.reader.call(tx_hash).function == "payout"
        except CalldataUnavailable:
            return False

    def _flow(self, e: ChainEvent, cause: ChainEvent | None) -> Flow:
        a = e.args
        ledger = LEDGERS[int(a["ledger"])]
        if e.name == "Transferred":
            return Flow(ledger, to_checksum_address(a["to"]), int(a["amount"]), "paid", bool(a["refund"]),
                        _hexstr(e.tx_hash), cause.name if cause else "")
        return Flow(ledger, to_checksum_address(a["account"]), int(a["amount"]), "credited", False, _hexstr(e.tx_hash),
                    cause.name if cause else "")

    @staticmethod
    def _book(money: _Money, flow: Flow) -> None:
        if flow.how == "credited":
            money.credited[flow.ledger] += flow.amount
        elif flow.refund:
            money.refunded[flow.ledger] += flow.amount
        else:
            money.paid[flow.ledger] += flow.amount

    def _settle_dispute(self, section: _Section, disputes: dict[tuple[str, int], DisputeRecord],
                        e: ChainEvent) -> None:
        kinds = {"ChallengeAnswered": ("challenge", "answered", "responder"),
                 "ChallengeResolved": ("challenge", "unanswered", "challenger"),
                 "ChallengeReclaimed": ("challenge", "reclaimed", "challenger"),
                 "OpeningAnswered": ("request", "answered", "answerer"),
                 "RequestResolved": ("request", "unanswered", "requester"),
                 "RequestReclaimed": ("request", "reclaimed", "requester")}
        if e.name == "EquivocationProven":
            record = disputes.get(("equivocation", int(e.args["round"])))
            if record is not None:
                record.settle_tx = _hexstr(e.tx_hash)
                self._dispute_cause[("equivocation", record.round)] = self._key(e)
            return
        if e.name not in kinds:
            return
        kind, status, who = kinds[e.name]
        record = disputes.get((kind, int(e.args["round"])))
        if record is None:
            section.fail(f"{e.name} for round {e.args['round']} (tx {_hexstr(e.tx_hash)}) settles a {kind} that was "
                         "never made")
            return
        record.status = status
        record.settled_by = to_checksum_address(e.args[who])
        record.settled_at = e.block_time
        record.settle_tx = _hexstr(e.tx_hash)
        self._dispute_cause[(kind, record.round)] = self._key(e)

    def _expected_flows(self, e: ChainEvent, money: _Money,
                        disputes: dict[tuple[str, int], DisputeRecord]) -> list[tuple[str, str, int, bool]]:
        """What the protocol says must leave which ledger to whom when ``e`` happens: (ledger, to, amount,
        refund). Amounts of zero are not sent."""
        terms = self.job.config.terms
        a = e.args
        out: list[tuple[str, str, int, bool]] = []
        if e.name in ("ChallengeAnswered", "ChallengeResolved", "ChallengeReclaimed"):
            record = disputes.get(("challenge", int(a["round"])))
            if record is not None:
                to = record.settled_by if e.name == "ChallengeAnswered" else record.by
                out.append(("disputes", str(to), terms.challenger_bond, e.name != "ChallengeAnswered"))
        elif e.name in ("OpeningAnswered", "RequestResolved", "RequestReclaimed"):
            record = disputes.get(("request", int(a["round"])))
            if record is not None:
                to = record.settled_by if e.name == "OpeningAnswered" else record.by
                out.append(("disputes", str(to), terms.request_fee, e.name != "OpeningAnswered"))
        elif e.name == "PayoutsOpened":
            recipient, reward = self._reward_recipient(), 0
            if self.job.faulted:
                reward = terms.bond * RHO_BPS // BPS
            self.report.reward_recipient = recipient
            self.report.reward = reward
            self.payout_section.expect(
                (to_checksum_address(a["rewardRecipient"]), int(a["rewardAmount"])) == (recipient, reward),
                f"PayoutsOpened rewards {a['rewardAmount']} to {a['rewardRecipient']}; the rules give {reward} to "
                f"{recipient} (rho = {RHO_BPS / 100:g}% of the bond to whoever proved the fault)")
            if reward:
                out.append(("bond", recipient, reward, False))
        elif e.name == "EquivocationProven" and a["afterPayoutsOpened"]:
            held = terms.bond - money.out["bond"]
            out.append(("bond", to_checksum_address(a["prover"]), held, False))
        elif e.name == "JobCompleted":
            escrow_left, bond_left = int(a["escrowRemainder"]), int(a["bondRemainder"])
            aggregator, recipient = self.job.config.aggregator, self._reward_recipient()
            total = next(iter(self.batch_calls.values()))[2] if self.batch_calls else 0
            if not self.job.faulted:
                out += [("escrow", aggregator, escrow_left, True), ("bond", aggregator, bond_left, True)]
            else:
                out.append(("escrow", aggregator, escrow_left, True) if total == 0
                           else ("escrow", recipient, escrow_left, False))
                out.append(("bond", recipient, bond_left, False))
        return [x for x in out if x[2]]

    def _reward_recipient(self) -> str:
        """Whoever faulted round ``tip + 1`` (unanswered challenge, else unanswered request), else the prover
        of equivocation before payouts; the zero address on a clean job."""
        job = self.job
        challenge = job.challenges.get(job.tip + 1)
        if challenge is not None and challenge.status is DisputeStatus.UNANSWERED:
            return to_checksum_address(challenge.by)
        request = job.requests.get(job.tip + 1)
        if request is not None and request.status is DisputeStatus.UNANSWERED:
            return to_checksum_address(request.by)
        before = [prover for _, prover, _, after in job.equivocations if not after]
        return to_checksum_address(before[0]) if before else "0x" + "00" * 20

    def _match_flows(self, section: _Section) -> None:
        for key, expected in self.expected.items():
            got = self.caused.get(key, [])
            want: dict[tuple[str, str], int] = {}
            for ledger, to, amount, _ in expected:
                want[(ledger, to)] = want.get((ledger, to), 0) + amount
            have: dict[tuple[str, str], int] = {}
            for flow in got:
                have[(flow.ledger, flow.to)] = have.get((flow.ledger, flow.to), 0) + flow.amount
            tx = _hexstr(key[0])
            if want != have:
                section.fail(f"transaction {tx} moved {_show(have)} out of the job's ledgers; the rules say "
                             f"{_show(want)}")
                continue
            refund = {(ledger, to): r for ledger, to, _, r in expected}
            for flow in got:
                if flow.how == "paid" and flow.refund != refund[(flow.ledger, flow.to)]:
                    section.fail(f"{flow.amount} to {flow.to} (tx {tx}) is marked refund = {flow.refund}; the rules "
                                 f"say refund = {refund[(flow.ledger, flow.to)]}")
        for key, got in self.caused.items():
            if key not in self.expected and got:
                section.fail(f"transaction {_hexstr(key[0])} moved {_show({(f.ledger, f.to): f.amount for f in got})} "
                             "with no rule that pays it")

    def _batch(self, money: _Money, e: ChainEvent, credits: list[Flow]) -> None:
        """One paid batch: what each payee is owed, against BatchPaid and the batch's credits."""
        index = int(e.args["batch"])
        escrow_out, bond_out = int(e.args["escrowOut"]), int(e.args["bondOut"])
        money.out["escrow"] += escrow_out
        money.out["bond"] += bond_out
        for flow in credits:
            money.credited[flow.ledger] += flow.amount
        credited = {("escrow", f.to): 0 for f in credits} | {("bond", f.to): 0 for f in credits}
        for flow in credits:
            credited[(flow.ledger, flow.to)] += flow.amount
        money.paid["escrow"] += escrow_out - sum(f.amount for f in credits if f.ledger == "escrow")
        money.paid["bond"] += bond_out - sum(f.amount for f in credits if f.ledger == "bond")
        self.report.flows.extend(credits)
        entry = self.batch_calls.get(index)
        if entry is None:
            self.payout_section.fail(f"batch {index} (tx {_hexstr(e.tx_hash)}) has no payout call to check it against")
            return
        call, n, total, words = entry
        owed = self._owed(words, total)
        size = len(words)
        escrow_owed = sum(x[2] for x in owed)
        bond_owed = sum(x[3] for x in owed)
        self.payout_section.expect(
            (escrow_out, bond_out) == (escrow_owed, bond_owed),
            f"BatchPaid of batch {index} (tx {call.tx}) says {escrow_out} left the escrow and {bond_out} the bond; the "
            f"settled state owes its payees {escrow_owed} and {bond_owed}")
        self.report.batches.append(BatchRecord(index, to_checksum_address(e.args["submitter"]), call.tx, n, total,
                                               escrow_out, bond_out, escrow_owed, bond_owed))
        for k, (address, units, escrow, bond) in enumerate(owed):
            slot = index * size + k
            if slot >= n:
                break
            payee = _address(address)
            got = 0
            for ledger, amount in (("escrow", escrow), ("bond", bond)):
                take = min(credited.get((ledger, payee), 0), amount)
                if take:
                    credited[(ledger, payee)] -= take
                    got += take
            status = ("nothing owed" if escrow + bond == 0 else "paid" if got == 0
                      else "credited" if got == escrow + bond else "partly credited")
            self.report.payees.append(PayeeRecord(slot, index, payee, units, escrow, bond, status, call.tx))
        leftover = {k: v for k, v in credited.items() if v}
        self.payout_section.expect(not leftover, f"batch {index} (tx {call.tx}) credited {_show(leftover)} that no "
                                                 "payee of the batch was owed")

    def _completion(self, money: _Money, e: ChainEvent) -> None:
        terms = self.job.config.terms
        escrow_left, bond_left = int(e.args["escrowRemainder"]), int(e.args["bondRemainder"])
        self.report.completion = (escrow_left, bond_left)
        self.payout_section.expect(
            (escrow_left, bond_left) == (terms.escrow - money.out["escrow"], terms.bond - money.out["bond"]),
            f"JobCompleted reports remainders {escrow_left} (escrow) and {bond_left} (bond); the ledgers' flows leave "
            f"{terms.escrow - money.out['escrow']} and {terms.bond - money.out['bond']}")

    # ---------------------------------------------------------------------------------- storage

    def _storage(self) -> None:
        """What the contract stores agrees with what the events say."""
        job, report = self.job, self.report
        section = _Section(report, "storage")
        view = JobView.from_abi(self.settle.contract.functions.getJob(self.job_id).call(
            block_identifier=report.to_block))
        section.expect(view.config_hash == job.config.hash(),
                       "the configuration hash the contract stores is not the hash of JobCreated's configuration")
        section.expect((view.tip, view.head_hash) == (job.tip, job.rounds.head_hash()),
                       f"the contract's head is round {view.tip} (hash {view.head_hash:#x}); the events' rounds end at "
                       f"round {job.tip} (hash {job.rounds.head_hash():#x})")
        section.expect(view.phase == job.phase, f"the contract says phase {view.phase.name}, the events "
                                                f"{job.phase.name}")
        section.expect(view.faulted == job.faulted, f"the contract says faulted = {view.faulted}, the events "
                                                    f"{job.faulted}")
        money = self.money
        out = {ledger: money.paid[ledger] + money.credited[ledger] + money.refunded[ledger] for ledger in LEDGERS}
        section.expect((view.escrow_out, view.bond_out, view.disputes_in, view.disputes_out)
                       == (out["escrow"], out["bond"], money.inflow["disputes"], out["disputes"]),
                       f"the contract's ledger counters (escrow out {view.escrow_out}, bond out {view.bond_out}, "
                       f"disputes in {view.disputes_in}, out {view.disputes_out}) differ from the events' "
                       f"({out['escrow']}, {out['bond']}, {money.inflow['disputes']}, {out['disputes']})")
        section.done("the contract's stored head, configuration, phase and ledger counters match the events")


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    return value


def _address(value: int) -> str:
    return to_checksum_address(value.to_bytes(20, "big"))


def _show(amounts: dict[tuple[str, str], int]) -> str:
    if not amounts:
        return "nothing"
    return ", ".join(f"{amount} ({ledger}) to {to}" for (ledger, to), amount in sorted(amounts.items()))


def _ranges(rounds: Iterable[int]) -> str:
    out: list[str] = []
    for r in sorted(rounds):
        if out and out[-1].split("..")[-1] == str(r - 1):
            out[-1] = f"{out[-1].split('..')[0]}..{r}"
        else:
            out.append(str(r))
    return ", ".join(out)


def audit(chain: Chain, contract_address: str, job_id: bytes, build_dirs: Sequence[Path], *,
          from_block: int | None = None) -> AuditReport:
    """Audit job ``job_id`` of the SettleFL contract at ``contract_address`` from events and calldata.

    ``build_dirs`` are the circuit builds the auditor trusts (their manifests); the job's build must be
    among them for its verifiers and proofs to be checked. ``from_block`` is where the contract's events
    start (default: its deployment block, found by bisection; that needs a node with past state).
    Raises :class:`AuditError` when there is nothing to audit; every finding is in the report.
    """
    return Auditor(chain, contract_address, job_id, build_dirs, from_block).run()
