"""The aggregator node: runs an FL job round by round and drives the aggregator role with what it decides.

This is the transport-free heart of ``settlefl node aggregator``: the HTTP service (:mod:`.service.app`)
only turns requests into calls of :meth:`AggregatorNode.register`, :meth:`~AggregatorNode.accept_update`
and the read methods; a Flower strategy could make the same calls. A background thread calls
:meth:`AggregatorNode.step` every second:

1. **registering**: wait for ``min_participants`` signed registrations, then create the job on chain with
   them as the first payees (the job id was reserved first, so registrations could be signed for it);
2. **training**: round ``r`` collects one signed update per participant until every registered
   participant uploaded or the deadline passed; then the node scores every update on its own validation
   set (:mod:`.fl.scoring`; nothing a participant says about its model counts), FedAvg-aggregates the
   updates that earned units, **writes the decision down**, and hands it to the aggregator role, which
   commits the round and signs the receipts. Registrations that arrive mid-job join in the round they
   first earn units in (at most the build's ``J`` a round);
3. **settling**: after the last round (or when the job left the active phase, e.g. a fault), the role
   finalizes, opens payouts and pays every batch; **completed** when the chain says so.

A kill at any instruction is safe: the FL decision of a round is written before the role sees it and
re-submitted unchanged after a restart, and the role's own journal never sends a transaction twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from settlefl.chain.contract import Phase, Variant
from settlefl.errors import InputError
from settlefl.roles.aggregator import Aggregator, JobPlan
from settlefl.roles.follower import RoleContext
from settlefl.state.words import address_to_int

from .fl.aggregate import fedavg
from .fl.data import load_dataset, validation_split
from .fl.models import ModelSpec, build_model
from .fl.scoring import RoundGame, Update, make_scorer, score_round
from .fl.seeds import derive_seed
from .fl.train import TrainConfig, evaluate
from .fl.weights import decode, encode, hash_bytes, layout_of, state_of
from .flstore import FLStore, UploadRecord
from .service import auth

log = logging.getLogger(__name__)

#: Bytes allowed on top of a model's own encoding in an upload (none today: the encoding is exact).
MAX_UPLOAD_SLACK = 0


class Refused(Exception):
    """A request the node refuses; ``status`` is the HTTP status a transport should answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class FLJob:
    """What the FL job trains and how it pays: recorded in the job's metadata (``/api/job``)."""

    rounds: int = 3
    min_participants: int = 2
    round_timeout: float = 120.0
    dataset: str = "digits"
    data_dir: Path | None = None
    validation_fraction: float = 0.2
    arch: str = "mlp"
    hidden: int = 64
    train: TrainConfig = field(default_factory=TrainConfig)
    scorer: str = "marginal-loss"
    seed: int = 0
    plan: JobPlan = field(default_factory=JobPlan)

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.min_participants < 1 or self.round_timeout <= 0:
            raise InputError("a job needs at least one round and one participant, and a positive round timeout")
        if self.plan.max_units // self.rounds < 1:
            raise InputError("the budget (max units) must give every round at least one unit: raise --max-units")

    @property
    def budget_per_round(self) -> int:
        return self.plan.max_units // self.rounds


class AggregatorNode:
    """One FL job's aggregator: FL rounds on top of the aggregator role (see the module docstring)."""

    def __init__(
        self,
        ctx: RoleContext,
        signing_key: bytes,
        job: FLJob,
        directory: Path,
        role: type[Aggregator] = Aggregator,
        build: int = 0,
    ) -> None:
        self.ctx = ctx
        self.job = job
        self.store = FLStore(directory)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.signing_key = signing_key
        self.role_type = role
        self.build = build
        self.job_id = role.reserve(ctx, build)
        data = load_dataset(job.dataset, job.data_dir)
        _training, self.validation = validation_split(data, job.validation_fraction, job.seed)
        self.model_spec = ModelSpec(job.arch, data.input_shape, data.classes, job.hidden)  # type: ignore[arg-type]
        self.model = build_model(self.model_spec, derive_seed(job.seed, "model"))
        self.scorer = make_scorer(job.scorer)
        self.layout = layout_of(state_of(self.model))
        self.max_upload = len(encode(state_of(self.model))) + MAX_UPLOAD_SLACK
        if self.store.get("phase") is None:
            initial = encode(state_of(self.model))
            self.store.put_model(1, initial)
            self.store.put("phase", "registering")
        self.aggregator: Aggregator | None = None
        if self.store.get("phase") != "registering":
            self.aggregator = role.resume(ctx, signing_key)
        self.last_error: str | None = None
        self.events: list[str] = []
        self._model_hashes: dict[int, str] = {}

    # ---------------------------------------------------------------------------------- reading

    @property
    def phase(self) -> str:
        return str(self.store.get("phase"))

    @property
    def current_round(self) -> int:
        return int(self.store.get("round", 0))

    def _domain(self) -> tuple[int, str]:
        return self.ctx.chain.chain_id, self.ctx.settle.address

    def info(self) -> dict[str, Any]:
        """The job as a participant needs it: where it lives on chain, what it trains, where it stands."""
        r = self.current_round
        record = self.store.round(r) if r else None
        model_round = r if r else 1
        return {
            "chain_id": self.ctx.chain.chain_id,
            "contract": self.ctx.settle.address,
            "job_id": "0x" + self.job_id.hex(),
            "aggregator": self.ctx.sender.address,
            "variant": "cp" if self.job.plan.variant is Variant.COMMIT_PROOF else "cc",
            "build": self.ctx.prover.params.name,
            "phase": self.phase,
            "round": r,
            "rounds": self.job.rounds,
            "round_status": record.status if record else None,
            "round_deadline": record.deadline if record else None,
            "model_round": model_round,
            "model_hash": self.model_hash(model_round),
            "participants": self.store.participants(),
            "min_participants": self.job.min_participants,
            "max_upload_bytes": self.max_upload,
            "fl": {
                "dataset": self.job.dataset,
                "model": self.model_spec.to_dict(),
                "train": self.job.train.to_dict(),
                "scorer": self.scorer.record().to_dict(),
                "seed": self.job.seed,
                "validation_fraction": self.job.validation_fraction,
                "budget_per_round": self.job.budget_per_round,
            },
            "terms": {"unit_price": str(self.job.plan.unit_price), "max_units": self.job.plan.max_units},
            "last_error": self.last_error,
        }

    def model_bytes(self, round_number: int | None = None) -> tuple[bytes, str]:
        """The global model round ``round_number`` trains from (default: the current one) and its sha256."""
        r = round_number or max(self.current_round, 1)
        path = self.store.model_path(r)
        if not path.exists():
            raise Refused(404, f"there is no global model for round {r} (yet)")
        return path.read_bytes(), self.model_hash(r)

    def model_hash(self, round_number: int) -> str:
        """The sha256 of round ``round_number``'s model, hashed once: a round's model never changes once
        written, and every participant's poll of ``/api/job`` asks for it."""
        if round_number not in self._model_hashes:
            self._model_hashes[round_number] = hash_bytes(self.store.model_path(round_number).read_bytes())
        return self._model_hashes[round_number]

    def receipts(self, address: str) -> list[dict[str, Any]]:
        """Every receipt signed for ``address`` so far, oldest first."""
        if self.aggregator is None:
            return []
        return [r.model_dump(mode="json") for r in self.ctx.store.receipts(to_checksum_address(address))]

    def round_table(self) -> list[dict[str, Any]]:
        """Every round: FL status and decision, and the chain's commitment when it has one."""
        chain = self.aggregator.job if self.aggregator else None
        out = []
        for record in self.store.rounds():
            row: dict[str, Any] = {
                "round": record.round,
                "status": record.status,
                "model_hash": record.model_hash,
                "opened_at": record.opened_at,
                "deadline": record.deadline,
                "committed_at": record.committed_at,
                "uploads": len(self.store.uploads(record.round)),
            }
            if record.decision:
                row["units"] = record.decision["units"]
                row["joins"] = record.decision["joins"]
                row["validation_accuracy"] = record.decision.get("validation_accuracy")
            if chain is not None and record.round <= chain.tip:
                link = chain.rounds.links[record.round]
                row["commitment"] = hex(link.commitment)
                challenge = chain.challenges.get(record.round)
                row["challenge"] = challenge.status.name.lower() if challenge else None
            out.append(row)
        return out

    # ------------------------------------------------------------------------------- requests

    def register(self, address: str, signature: str) -> dict[str, Any]:
        """Register ``address`` (it signed the EIP-712 ``Register`` message for this job)."""
        try:
            address = to_checksum_address(address)
        except ValueError:
            raise Refused(400, f"{address!r} is not an Ethereum address") from None
        chain_id, contract = self._domain()
        try:
            auth.require_signer(auth.register_message(chain_id, contract, self.job_id, address), signature, address)
        except auth.BadSignature as exc:
            raise Refused(401, f"registration refused: {exc}") from None
        with self._lock:
            if self.phase in ("settling", "completed"):
                raise Refused(409, f"the job is {self.phase}: it takes no new participants")
            slots = self.ctx.prover.params.participants
            if not self.store.is_registered(address) and len(self.store.participants()) >= slots:
                raise Refused(409, f"the job is full: the build has {slots} slots")
            new = self.store.register(address, signature)
        if new:
            self._note(f"registered {address}")
        return {"participant": address, "new": new, "phase": self.phase, "round": self.current_round}

    def accept_update(
        self, round_number: int, address: str, samples: int, data: bytes, signature: str
    ) -> dict[str, Any]:
        """Store one participant's update for round ``round_number``, or refuse it and store nothing."""
        try:
            address = to_checksum_address(address)
        except ValueError:
            raise Refused(400, f"{address!r} is not an Ethereum address") from None
        if len(data) > self.max_upload:
            raise Refused(413, f"the update is {len(data)} bytes; this job's model encodes to {self.max_upload}")
        if samples < 1:
            raise Refused(422, "an update must report at least one training sample")
        update_hash = hash_bytes(data)
        chain_id, contract = self._domain()
        message = auth.update_message(
            chain_id, contract, self.job_id, round_number, bytes.fromhex(update_hash[2:]), samples
        )
        try:
            auth.require_signer(message, signature, address)
        except auth.BadSignature as exc:
            raise Refused(401, f"upload refused: {exc}") from None
        with self._lock:
            if not self.store.is_registered(address):
                raise Refused(403, f"{address} is not registered for this job")
            record = self.store.round(round_number)
            if self.phase != "training" or record is None or round_number != self.current_round:
                raise Refused(
                    409,
                    f"round {round_number} is not collecting updates (current round: "
                    f"{self.current_round}, phase {self.phase})",
                )
            if record.status != "collecting" or time.time() > record.deadline:
                raise Refused(409, f"round {round_number} closed before this upload arrived")
            try:
                decode(data, expected=self.layout, max_bytes=self.max_upload)  # the job's model, or refused
            except Exception as exc:  # noqa: BLE001 - any decoding failure is the uploader's: say why
                raise Refused(422, f"the update is not this job's model: {exc}") from None
            if not self.store.add_update(UploadRecord(round_number, address, update_hash, samples), data, signature):
                raise Refused(409, f"{address} already uploaded an update for round {round_number}")
        self._note(f"round {round_number}: update from {address}")
        return {"round": round_number, "participant": address, "update_hash": update_hash, "stored": True}

    # -------------------------------------------------------------------------------- the loop

    def start(self, interval: float = 1.0) -> None:
        """Run :meth:`step` every ``interval`` seconds on a background thread."""

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.step()
                    self.last_error = None
                except Exception as exc:  # noqa: BLE001 - the loop must outlive a dead RPC or a revert
                    if str(exc) != self.last_error:
                        log.warning("aggregator step failed (retrying): %s", exc)
                    self.last_error = str(exc)
                self._stop.wait(interval)

        self._thread = threading.Thread(target=loop, name="aggregator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def step(self) -> None:
        """One pass of the job's state machine (module docstring)."""
        phase = self.phase
        if phase == "registering":
            self._maybe_start()
        elif phase == "training":
            self._train()
        elif phase == "settling":
            self._settle()

    def _maybe_start(self) -> None:
        registered = self.store.participants()
        if len(registered) < self.job.min_participants:
            return
        log.info("creating the job with %d participants", len(registered))
        self.aggregator = self.role_type.create(self.ctx, self.signing_key, registered, self.job.plan, self.build)
        with self._lock:
            self._open_round(1)
            self.store.put("phase", "training")
        self._note(f"job 0x{self.job_id.hex()} created on chain")

    def _open_round(self, r: int) -> None:
        self.store.open_round(r, self.model_hash(r), time.time() + self.job.round_timeout)
        self.store.put("round", r)
        log.info("round %d open for updates until %.0f s from now", r, self.job.round_timeout)

    def _train(self) -> None:
        aggregator = self._role()
        r = self.current_round
        record = self.store.round(r)
        assert record is not None
        job = aggregator.refresh()
        if job.phase is not Phase.ACTIVE:
            log.warning("the job left the active phase (%s) in round %d: settling", job.phase.name, r)
            self._to_settling()
            return
        if record.status == "collecting":
            uploads = self.store.uploads(r)
            everyone = set(self.store.participants())
            if not uploads or ({u.address for u in uploads} < everyone and time.time() < record.deadline):
                if time.time() >= record.deadline and not uploads:
                    self.store.extend(r, time.time() + self.job.round_timeout)
                    log.warning(
                        "round %d: no update before the deadline; waiting another %.0f s", r, self.job.round_timeout
                    )
                aggregator.tick()  # keep defending while waiting
                return
            with self._lock:
                self.store.decide(r, self._decide(r, uploads))
        record = self.store.round(r)
        assert record is not None and record.decision is not None
        if record.status == "decided":
            self._commit(aggregator, r, record.decision)
        aggregator.tick()

    def _decide(self, r: int, uploads: list[UploadRecord]) -> dict[str, Any]:
        """Score round ``r``'s updates, aggregate those that earned units, and decide who joins."""
        global_state = decode(self.store.model_path(r).read_bytes(), expected=self.layout)
        state_now = self._role().state()
        members = {a for a, _ in state_now.participants()}
        joins_left = self.ctx.prover.params.max_joins
        eligible: list[UploadRecord] = []
        for upload in uploads:
            if address_to_int(upload.address) in members:
                eligible.append(upload)
            elif joins_left > 0:
                joins_left -= 1
                eligible.append(upload)
            else:
                log.info(
                    "round %d: %s joins next round (at most %d joins a round)",
                    r,
                    upload.address,
                    self.ctx.prover.params.max_joins,
                )
        updates = [
            Update(
                u.address, decode(self.store.update_path(r, u.address).read_bytes(), expected=self.layout), u.samples
            )
            for u in eligible
        ]
        scores = score_round(
            self.scorer, RoundGame(self.model, global_state, updates, self.validation, r), self.job.budget_per_round
        )
        units = {u.participant: n for u, n in zip(updates, scores.units, strict=True)}
        earned = [(u.state, u.samples) for u, n in zip(updates, scores.units, strict=True) if n > 0]
        next_state = fedavg(earned) if earned else {k: v.clone() for k, v in global_state.items()}
        self.store.put_model(r + 1, encode(next_state))
        validation = evaluate(self.model, self.validation, next_state)
        joins = [u.participant for u in updates if address_to_int(u.participant) not in members]
        log.info("round %d decided: units %s, validation accuracy %.3f", r, units, validation.accuracy)
        return {
            "units": units,
            "joins": joins,
            "scores": scores.to_dict(),
            "validation_accuracy": validation.accuracy,
            "validation_loss": validation.loss,
            "next_model_hash": hash_bytes(encode(next_state)),
        }

    def _commit(self, aggregator: Aggregator, r: int, decision: dict[str, Any]) -> None:
        if aggregator.ctx.store.signed(r) is None:
            aggregator.submit_round({a: int(n) for a, n in decision["units"].items()}, decision["joins"])
        with self._lock:
            self.store.committed(r)
            self._note(f"round {r} committed and receipts signed")
            if r >= self.job.rounds:
                self._to_settling()
            else:
                self._open_round(r + 1)

    def _to_settling(self) -> None:
        self._role().finish()
        self.store.put("phase", "settling")
        self._note("settling: finalize, open payouts, pay every batch")

    def _settle(self) -> None:
        aggregator = self._role()
        for action in aggregator.tick():
            self._note(action)
        if aggregator.refresh().phase is Phase.COMPLETED:
            self.store.put("phase", "completed")
            self._note("job completed")

    def _role(self) -> Aggregator:
        if self.aggregator is None:
            self.aggregator = self.role_type.resume(self.ctx, self.signing_key)
        return self.aggregator

    def _note(self, event: str) -> None:
        log.info("%s", event)
        self.events.append(f"{time.strftime('%H:%M:%S')} {event}")
        del self.events[:-200]
