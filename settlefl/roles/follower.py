"""What every role does with a job: follow it on chain and defend the rounds it holds openings of.

A :class:`JobFollower` keeps the job's events (an :class:`~settlefl.chain.watcher.EventWatcher` into its
store), derives the :class:`~settlefl.chain.projection.JobProjection` from them after every poll, and
performs the duties any honest party with the openings can perform (:meth:`defend`):

* answer every open challenge of a round whose two openings it holds and whose transition is valid
  (anyone may; the challenger's bond goes to the responder);
* answer every open opening request of a round it holds;
* resolve disputes left unanswered past their deadline (the fault protects the participants);
* reclaim its own challenges and requests that a rollback made void;
* open payouts once every window has closed, and withdraw its credits.

Roles decide *when* from chain time (the latest block's timestamp) with a safety margin, and act through
:meth:`act`: every action has a key and goes through the store's transaction journal, so a process killed
at any instruction resumes the same transaction instead of sending the action twice. Before acting, the
projection is re-read: an action someone else already took is not taken again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from web3.types import TxReceipt

from settlefl.chain.client import Chain, Sender
from settlefl.chain.contract import SettleFL
from settlefl.chain.deploy import Deployment
from settlefl.chain.errors import TransactionReverted
from settlefl.chain.projection import DisputeStatus, JobProjection, calldata_reader, project
from settlefl.chain.watcher import EventStore, EventWatcher
from settlefl.circuits.prover import JobContext, Prover
from settlefl.params import BuildParams
from settlefl.roles.store import RoleStore
from settlefl.state.reward_state import InvalidRound, RewardState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timing:
    """When roles act, in seconds of chain time.

    * ``margin``: act at least this long before a deadline (a transaction needs time to be mined);
    * ``respond_delay``: a non-aggregator waits this long before answering a challenge or request
      (the aggregator answers at once; participants cover for it if it does not);
    * ``receipt_grace``: how long after a commit a participant waits for its receipt before it asks for the
      opening on chain;
    * ``payout_grace``: how long after payouts open a participant waits before paying its own batch.
    """

    margin: int = 30
    respond_delay: int = 0
    receipt_grace: int = 30
    payout_grace: int = 0
    confirmations: int = 0


@dataclass
class RoleContext:
    """What a role works with: the chain, the deployment, its account, its store and a prover."""

    chain: Chain
    settle: SettleFL
    deployment: Deployment
    sender: Sender
    store: RoleStore
    prover: Prover
    timing: Timing = field(default_factory=Timing)

    def __post_init__(self) -> None:
        self.sender.journal = self.store


class JobFollower:
    """Follows one job and performs the duties of anyone who holds openings."""

    role = "follower"
    #: Whether to resolve other parties' unanswered disputes (participants and watchtowers do: the fault
    #: protects them; the aggregator does not fault its own job).
    resolves_others = True

    def __init__(self, ctx: RoleContext, job_id: bytes) -> None:
        self.ctx = ctx
        self.job_id = job_id
        self.events = EventStore(ctx.store.path)
        self.watcher = EventWatcher(ctx.chain, ctx.settle.contract, self.events,
                                    start_block=ctx.deployment.deploy_block, confirmations=ctx.timing.confirmations)
        self.read_calldata = calldata_reader(ctx.chain, ctx.settle.interface)
        self._failures: set[str] = set()
        self.job: JobProjection | None = None

    # ------------------------------------------------------------------------------- following

    @property
    def address(self) -> str:
        return self.ctx.sender.address

    @property
    def params(self) -> BuildParams:
        return self.ctx.prover.params

    def refresh(self) -> JobProjection:
        """Read new events and recompute the job from them (a reorg rolls everything back by construction).

        After a reorganisation, the transactions of this role's account that it removed are put back first
        (the same signed bytes, in nonce order: :meth:`~settlefl.chain.client.Sender.recover`), so no action
        is sent twice and none waits behind a nonce gap; the store remembers the reorganisation until then.
        """
        self.watcher.sync()
        if self.events.reorg_pending(self.watcher.name) is not None:
            self.ctx.sender.recover()
            self.events.clear_reorg(self.watcher.name)
            self.watcher.sync()
        job = project(self.job_id, self.events.events(self.job_id), self.read_calldata)
        if job is None:
            raise LookupError(f"job 0x{self.job_id.hex()} has no JobCreated event on this chain (yet)")
        self.job = job
        return job

    def now(self) -> int:
        return self.ctx.chain.timestamp()

    def context(self) -> JobContext:
        return JobContext(self.ctx.chain.chain_id, self.ctx.settle.address, self.job_id)

    # --------------------------------------------------------------------------------- openings

    def held(self, job: JobProjection, round_number: int) -> RewardState | None:
        """The opening this role holds of round ``round_number`` as the chain committed it."""
        if round_number > job.tip:
            return None
        commitment = job.rounds.links[round_number].commitment
        cfg = job.config.terms
        state = self.ctx.store.opening(round_number, commitment, self.params, job.domain, cfg.max_units)
        if state is None and round_number in job.openings:
            state = self._opened_on_chain(job, round_number)
        return state

    def _opened_on_chain(self, job: JobProjection, round_number: int) -> RewardState | None:
        """A state opened on chain (genesis, or an answered request), kept once its commitment checks out."""
        opened = job.openings[round_number]
        words = opened.words + (0,) * (self.params.participants - len(opened.words))
        try:
            state = RewardState(self.params, job.domain, job.config.terms.max_units, round_number, words, opened.n,
                                opened.total, opened.salt)
        except ValueError:
            return None
        if state.commitment != job.rounds.links[round_number].commitment:
            return None
        self.ctx.store.put_opening(state)
        return state

    @staticmethod
    def follows(prev: RewardState, new: RewardState) -> bool:
        """Whether ``new`` follows ``prev`` by the round rules (exactly what the Transition circuit proves)."""
        try:
            prev.update_to(new)
        except InvalidRound:
            return False
        return True

    # ----------------------------------------------------------------------------------- acting

    def done_before(self, key: str) -> bool:
        """Whether the action ``key`` was carried out and its transaction is still on the chain (a reorg may
        have removed it: then it is resumed, never sent anew)."""
        entry = self.ctx.store.journal_get(key)
        return entry is not None and entry.status == "done" and self.ctx.sender.still_mined(entry)

    def act(self, key: str, label: str, send: Callable[[], TxReceipt]) -> TxReceipt | None:
        """Perform the action ``key`` once: resume its journaled transaction, or send it now."""
        sender = self.ctx.sender
        if self.done_before(key):
            return None
        try:
            receipt = sender.resume(key, label)
        except TransactionReverted as exc:
            log.warning("%s (%s) failed on chain: %s", label, self.role, exc)
            return None
        if receipt is not None:
            return receipt
        try:
            with sender.keyed(key):
                receipt = send()
        except TransactionReverted as exc:
            if key not in self._failures:  # say it once; the next tick decides again from the chain
                log.warning("%s (%s) was refused: %s", label, self.role, exc)
                self._failures.add(key)
            return None
        log.info("%s (%s): mined in block %d", label, self.role, receipt["blockNumber"])
        return receipt

    # ---------------------------------------------------------------------------------- defence

    def defend(self, job: JobProjection, now: int, delay: int) -> list[str]:
        """Answer what it can, resolve what nobody answered, reclaim what a rollback voided."""
        done: list[str] = []
        margin = self.ctx.timing.margin
        for r, challenge in sorted(job.challenges.items()):
            if challenge.status is not DisputeStatus.OPEN:
                continue
            if r > job.tip:
                if challenge.by.lower() == self.address.lower() and self.act(
                    f"reclaim:{r}", f"reclaim of round {r}",
                    partial(self.ctx.settle.reclaim, self.ctx.sender, self.job_id, job.config, r),
                ):
                    done.append(f"reclaimed the void challenge of round {r}")
                continue
            if now > challenge.deadline:
                ours = challenge.by.lower() == self.address.lower()
                if (self.resolves_others or ours) and self.act(f"resolve:{r}", f"resolve of round {r}", partial(
                        self.ctx.settle.resolve, self.ctx.sender, self.job_id, job.config, r, job.rounds.around(r))):
                    done.append(f"resolved the unanswered challenge of round {r}")
                continue
            if now < challenge.time + delay and now < challenge.deadline - margin:
                continue
            prev, cur = self.held(job, r - 1), self.held(job, r)
            if prev is None or cur is None or not self.follows(prev, cur) or self.done_before(f"respond:{r}"):
                continue
            proof = self.ctx.prover.prove_transition(prev, cur, self.address).proof
            if self.act(f"respond:{r}", f"response to the challenge of round {r}", partial(
                    self.ctx.settle.respond, self.ctx.sender, self.job_id, job.config, r, job.rounds.around(r), proof)):
                done.append(f"answered the challenge of round {r}")
        for r, request in sorted(job.requests.items()):
            if request.status is not DisputeStatus.OPEN:
                continue
            if r > job.tip:
                if request.by.lower() == self.address.lower() and self.act(
                    f"reclaim:{r}", f"reclaim of round {r}",
                    partial(self.ctx.settle.reclaim, self.ctx.sender, self.job_id, job.config, r),
                ):
                    done.append(f"reclaimed the void request of round {r}")
                continue
            if now > request.deadline:
                ours = request.by.lower() == self.address.lower()
                if (self.resolves_others or ours) and self.act(
                        f"resolve-request:{r}", f"resolve of the request of round {r}", partial(
                            self.ctx.settle.resolve_request, self.ctx.sender, self.job_id, job.config, r,
                            job.rounds.around(r))):
                    done.append(f"resolved the unanswered request of round {r}")
                continue
            if now < request.time + delay and now < request.deadline - margin:
                continue
            state = self.held(job, r)
            if state is None or self.done_before(f"answer:{r}"):
                continue
            opening = self.ctx.prover.prove_opening(state, self.context(), self.address)
            if self.act(f"answer:{r}", f"answer to the request of round {r}", partial(
                    self.ctx.settle.answer_opening, self.ctx.sender, self.job_id, job.config, r, job.rounds.around(r),
                    state.salt, state.total, opening.words, opening.proof)):
                done.append(f"answered the opening request of round {r}")
        return done

    def open_payouts_if_due(self, job: JobProjection, now: int) -> list[str]:
        """Anyone may open payouts once finalized, every window closed and nothing pending."""
        from settlefl.chain.contract import Phase

        if job.phase is not Phase.FINALIZED or any(job.pending()) or now <= job.payouts_open_after():
            return []
        if self.act("open-payouts", "opening payouts", partial(
                self.ctx.settle.open_payouts, self.ctx.sender, self.job_id, job.config, job.rounds.tip_history())):
            return ["opened payouts"]
        return []

    def pay_batches(self, job: JobProjection, batches: set[int], now: int) -> list[str]:
        """Prove and pay the given batches of the settled state (those nobody has paid yet)."""
        from settlefl.chain.contract import Phase

        if job.phase is not Phase.PAYOUTS_OPEN or job.payouts_opened is None:
            return []
        settled = self.held(job, job.tip)
        if settled is None or settled.commitment != job.payouts_opened["commitment"]:
            return []
        done = []
        for batch in sorted(batches):
            if batch in job.batches or batch * self.params.batch >= settled.n or self.done_before(f"payout:{batch}"):
                continue
            proved = self.ctx.prover.prove_payout(settled, batch, self.context(), self.address)
            if self.act(f"payout:{batch}", f"payout of batch {batch}", partial(
                    self.ctx.settle.payout, self.ctx.sender, self.job_id, job.config, job.rounds.tip_history(), batch,
                    settled.n, settled.total, proved.words, proved.proof)):
                done.append(f"paid batch {batch}")
            job = self.refresh()
            if job.phase is not Phase.PAYOUTS_OPEN:
                break
        return done

    def withdraw_credits(self) -> list[str]:
        if self.ctx.settle.credit_of(self.address) == 0:
            return []
        if self.act(f"withdraw:{self.ctx.chain.block_number()}", "withdrawing credits",
                    partial(self.ctx.settle.withdraw, self.ctx.sender)):
            return ["withdrew its credits"]
        return []
