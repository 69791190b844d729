"""The aggregator: creates the job, commits each round, signs receipts, defends its rounds, settles.

A round goes through four durable steps, each recorded before the next one starts, so a crash at any
instruction resumes where it stopped and never repeats an effect:

1. the new state is built and stored (``pending``), with its salt from the persisted job secret;
2. it is committed (optimistically, or with a Transition proof in Commit-with-Proof), through the
   transaction journal;
3. the commit is seen on chain (the projection's round ``r`` has this commitment);
4. the commitment enters the signing log and is signed; receipts are stored.

The signing log refuses a second commitment for a round, so even a confused caller cannot make the
aggregator equivocate. Receipts carry the round's opening and the opening of round ``r - 1``; a joiner's
receipt carries the openings back to the last closed round (the join rule), so every participant can
defend every round its units depend on.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eth_utils import to_checksum_address

from settlefl.chain.contract import JobConfig, JobTerms, Phase, Variant
from settlefl.chain.history import RoundLog
from settlefl.chain.projection import JobProjection
from settlefl.crypto import eddsa
from settlefl.roles.follower import JobFollower, RoleContext
from settlefl.state.ids import job_domain, job_id, new_job_secret, round_salt
from settlefl.state.receipt import Receipt, make_receipt
from settlefl.state.reward_state import InvalidRound, Join, RewardState, RoundUpdate
from settlefl.state.words import address_to_int, int_to_address

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobPlan:
    """The terms an aggregator asks for (escrow in wei = ``max_units * unit_price``)."""

    variant: Variant = Variant.COMMIT_CHALLENGE
    unit_price: int = 10**12
    max_units: int = 10**6
    bond: int | None = None  # default: the deployment's minimum share of the escrow
    challenge_window: int | None = None  # default: the deployment's minimum
    response_window: int | None = None
    inactivity_timeout: int | None = None
    duration: int = 30 * 86400


class Aggregator(JobFollower):
    """Runs one job as its aggregator."""

    role = "aggregator"
    resolves_others = False

    def __init__(self, ctx: RoleContext, signing_key: bytes, job_id: bytes) -> None:
        super().__init__(ctx, job_id)
        self.signing_key = signing_key
        self.public_key = eddsa.public_key(signing_key)

    # ------------------------------------------------------------------------------- creation

    @classmethod
    def create(cls, ctx: RoleContext, signing_key: bytes, participants: Sequence[str], plan: JobPlan = JobPlan(),
               build: int = 0) -> Aggregator:
        """Create the job (or resume a creation that a crash interrupted: the store remembers it)."""
        store = ctx.store
        cls.reserve(ctx, build)
        job = store.get("job")
        if job.get("participants") is None:
            job = {**job, "participants": [to_checksum_address(p) for p in participants]}
            store.put("job", job)
        self = cls(ctx, signing_key, bytes.fromhex(job["job_id"][2:]))
        self._create(job, plan)
        return self

    @classmethod
    def reserve(cls, ctx: RoleContext, build: int = 0) -> bytes:
        """Fix the job's nonce, id and secret before the job exists on chain, and return its id.

        Participants sign their registration for this id (a service registers them before the job is
        created with them as its first payees); :meth:`create` later uses the same id.
        """
        job = ctx.store.get("job")
        if job is None:
            nonce = secrets.randbits(63)
            ctx.store.put("secret", str(new_job_secret()))
            job = {"nonce": nonce, "job_id": "0x" + job_id(ctx.sender.address, nonce).hex(), "build": build,
                   "participants": None}
            ctx.store.put("job", job)
        return bytes.fromhex(job["job_id"][2:])

    @classmethod
    def resume(cls, ctx: RoleContext, signing_key: bytes) -> Aggregator:
        """The aggregator of the job in this store (after a restart)."""
        job = ctx.store.get("job")
        if job is None:
            raise LookupError(f"{ctx.store.path} holds no job: create one first")
        return cls(ctx, signing_key, bytes.fromhex(job["job_id"][2:]))

    def _create(self, job: dict[str, object], plan: JobPlan) -> None:
        nonce = int(str(job["nonce"]))
        chain, settle = self.ctx.chain, self.ctx.settle
        domain = job_domain(chain.chain_id, settle.address, self.job_id)
        genesis = RewardState.genesis(self.params, domain, plan.max_units, [str(p) for p in job["participants"]])  # type: ignore[attr-defined]
        self.ctx.store.put_opening(genesis)
        if settle.get_job(self.job_id).phase is not Phase.NONE:
            return
        mins = settle.contract.functions.minimums().call()
        bond_bps, min_ch_bond, min_fee, min_window, min_response, min_inactivity = (int(v) for v in mins[:6])
        escrow = plan.max_units * plan.unit_price
        terms = JobTerms(
            variant=plan.variant, build=int(str(job["build"])), token="0x" + "00" * 20, unit_price=plan.unit_price,
            max_units=plan.max_units, escrow=escrow, bond=plan.bond or -(-escrow * bond_bps // 10_000),
            challenger_bond=min_ch_bond, request_fee=min_fee,
            challenge_window=plan.challenge_window or min_window,
            response_window=plan.response_window or min_response,
            inactivity_timeout=plan.inactivity_timeout or min_inactivity,
            hard_deadline=chain.timestamp() + plan.duration, pub_hash=eddsa.public_key_hash(self.public_key),
        )
        opening = self.ctx.prover.prove_opening(genesis, self.context(), self.address)
        self.act("create", "createJob", lambda: settle.create_job(self.ctx.sender, nonce, terms, genesis.commitment,
                                                                 opening.words, opening.proof))

    # --------------------------------------------------------------------------------- rounds

    @property
    def nonce(self) -> int:
        return int(self.ctx.store.get("job")["nonce"])

    def _secret(self) -> int:
        return int(self.ctx.store.get("secret"))

    def state(self, job_view: object | None = None) -> RewardState:
        """The aggregator's state at the chain's tip."""
        job = self.refresh()
        state = self.held(job, job.tip)
        if state is None:
            raise LookupError(f"the aggregator holds no opening of round {job.tip}: its store is not this job's")
        return state

    def submit_round(self, units: Mapping[str, int], joins: Sequence[str] = (),
                     timeout: float = 120.0) -> dict[str, Receipt]:
        """Run one round: build the state, commit it, wait for the commit, sign and return the receipts.

        ``units`` maps payees (existing or joining) to the units they earn this round. A round interrupted
        by a crash is finished first (``units`` is then ignored for it: its state is already fixed).
        """
        pending = self.ctx.store.get("pending")
        if pending is not None:
            log.info("finishing round %d, interrupted before its receipts were signed", pending["round"])
            return self._finish_round(int(pending["round"]), int(pending["commitment"]), timeout)
        job = self.refresh()
        prev = self.held(job, job.tip)
        if prev is None:
            raise LookupError(f"no opening of the tip (round {job.tip}) in the aggregator's store")
        state = self._next_state(prev, units, joins)
        self.ctx.store.put_opening(state)
        self.ctx.store.put("pending", {"round": state.round, "commitment": str(state.commitment)})
        return self._finish_round(state.round, state.commitment, timeout)

    def _next_state(self, prev: RewardState, units: Mapping[str, int], joins: Sequence[str]) -> RewardState:
        slots = {address: slot for slot, (address, _) in enumerate(prev.participants())}
        joining = [address_to_int(a, "joining participant") for a in joins]
        # Policy (not a protocol rule: the circuit accepts it): a payee appears once, so that nobody's work
        # is booked twice by mistake.
        if len(set(joining)) != len(joining) or any(a in slots for a in joining):
            raise InvalidRound("a joining participant is already in the job or listed twice; each payee joins once")
        rows: list[tuple[int, int]] = []
        for address, amount in units.items():
            key = address_to_int(address, "payee")
            if key in slots:
                if amount:
                    rows.append((slots[key], int(amount)))
            elif key not in joining:
                raise InvalidRound(f"{int_to_address(key)} earns units but is neither in the job nor joining")
        join_list = [Join(a, int(units.get(int_to_address(a), units.get(int_to_address(a).lower(), 0))))
                     for a in joining]
        return prev.apply_round(RoundUpdate(rows=rows, joins=join_list),
                                round_salt(self._secret(), prev.domain, prev.round + 1))

    def _finish_round(self, r: int, commitment: int, timeout: float) -> dict[str, Receipt]:
        job = self.refresh()
        state = self.ctx.store.opening(r, commitment, self.params, job.domain, job.config.terms.max_units)
        if state is None:
            raise LookupError(f"the pending round {r} is not in the store")
        if job.tip < r:
            prev = self.held(job, r - 1)
            assert prev is not None
            if job.variant is Variant.COMMIT_PROOF:
                proof = self.ctx.prover.prove_transition(prev, state, self.address).proof
                self.act(f"commit:{r}", f"commitWithProof of round {r}", lambda: self.ctx.settle.commit_with_proof(
                    self.ctx.sender, self.nonce, job.rounds.tip_history(), commitment, proof))
            else:
                self.act(f"commit:{r}", f"commit of round {r}",
                         lambda: self.ctx.settle.commit(self.ctx.sender, self.nonce, commitment))
            job = self._await_round(r, timeout)
        if job.rounds.links[r].commitment != commitment:
            raise RuntimeError(f"round {r} on chain is not the aggregator's commitment: refusing to sign it")
        receipts = self._sign(job, state)
        self.ctx.store.put("pending", None)
        return receipts

    def _await_round(self, r: int, timeout: float) -> JobProjection:
        deadline = time.monotonic() + timeout
        while True:
            job = self.refresh()
            if job.tip >= r:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"round {r}'s commit was not seen on chain within {timeout:.0f} s")
            time.sleep(0.2)

    def _sign(self, job: JobProjection, state: RewardState) -> dict[str, Receipt]:
        self.ctx.store.log_signature(state.round, state.commitment)  # refuses a second commitment
        prev = self.held(job, state.round - 1)
        assert prev is not None
        closed = job.last_closed_round(self.now())
        joiner_history = [s for s in (self.held(job, k) for k in range(min(closed, state.round - 1), state.round))
                          if s is not None]
        receipts: dict[str, Receipt] = {}
        previous_payees = {a for a, _ in prev.participants()}
        for address, _units in state.participants():
            payee = int_to_address(address)
            history = [prev] if address in previous_payees else joiner_history
            receipt = make_receipt(chain_id=self.ctx.chain.chain_id, contract=self.ctx.settle.address,
                                   job_id=self.job_id, state=state, private_key=self.signing_key, history=history)
            self.ctx.store.put_receipt(payee, receipt)
            receipts[payee] = receipt
        log.info("round %d committed and signed: %d receipts", state.round, len(receipts))
        return receipts

    def receipt(self, payee: str, round_number: int) -> Receipt | None:
        return self.ctx.store.receipt(payee, round_number)

    def round_log(self) -> RoundLog:
        return self.refresh().rounds

    # ------------------------------------------------------------------------------ settlement

    def finish(self) -> None:
        """Ask the next ticks to finalize, open payouts and pay every batch."""
        self.ctx.store.put("finishing", True)

    def tick(self) -> list[str]:
        """One pass: finish an interrupted round, defend, and settle when asked to."""
        done: list[str] = []
        if self.ctx.store.get("pending") is not None:
            self.submit_round({})
            done.append("finished an interrupted round")
        job = self.refresh()
        now = self.now()
        done += self.defend(job, now, delay=0)
        if self.ctx.store.get("finishing") and job.phase is Phase.ACTIVE and not any(job.pending()):
            windows = max(job.challenge_window_end(job.tip), job.payouts_open_after())
            if now > windows and self.act("finalize", "finalize", lambda: self.ctx.settle.finalize(
                    self.ctx.sender, self.job_id, job.config, job.rounds.tip_history())):
                done.append("finalized (and opened payouts)")
        job = self.refresh()
        done += self.open_payouts_if_due(job, now)
        job = self.refresh()
        done += self.pay_batches(job, set(range(-(-self.params.participants // self.params.batch))), now)
        done += self.withdraw_credits()
        return done

    def config(self) -> JobConfig:
        return self.refresh().config
