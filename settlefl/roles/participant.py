"""The participant: checks every receipt, stops working on a failure and acts; the watchtower does the same
for others.

A receipt is accepted only if everything a circuit or the contract would check holds: the aggregator's
key signed it (and the Receipt circuit's witness generator accepts it: a looser Python check could accept
a receipt that can never be proven), its commitment is the one the chain holds for that round, and the
round follows the participant's previous opening by exactly the rules the Transition circuit proves (so
its units never go down). A joiner also needs the openings of every round back to the last closed one
(the join rule): otherwise a round it cannot answer for could be rolled back under it.

On a failure the participant stops training (:meth:`Participant.may_train`) and acts:

* a receipt for another commitment than the chain's is equivocation: it proves it with a Receipt proof;
* a round that does not follow (its units cut, say) is challenged: nobody can answer with a proof;
* a receipt that never comes is replaced by an opening request on chain; the answer is checked the same way.

Until payouts complete it answers challenges of valid rounds and opening requests (anyone may: the bond
goes to the responder), resolves what the aggregator left unanswered, finalizes the job if the aggregator
abandoned it (no commit for the job's inactivity timeout, or past its hard deadline: otherwise the escrow
would stay locked), pays its own batch if nobody has, and withdraws its credits. A :class:`Watchtower`
runs these duties for participants that hand it their receipts and go offline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import ValidationError

from settlefl.chain.contract import ChallengeStatus, Phase, Variant
from settlefl.chain.projection import DisputeStatus, JobProjection
from settlefl.circuits.spec import Circuit
from settlefl.circuits.witness import WitnessRuleError, receipt_inputs
from settlefl.crypto import eddsa
from settlefl.roles.follower import JobFollower, RoleContext
from settlefl.state.receipt import InvalidReceipt, Receipt
from settlefl.state.reward_state import InvalidRound, RewardState
from settlefl.state.words import address_to_int

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What became of a receipt: ``accepted``, ``pending`` (its round is not on chain yet) or ``refused``;
    ``action`` says what the participant will do about a refusal."""

    status: str
    reason: str = ""
    action: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "accepted"


def _parse(receipt: Receipt | dict[str, Any] | str) -> tuple[Receipt | None, Receipt | None, str]:
    """``(full, signed_opening, error)``: the receipt as validated, or, when only its history fails the round
    rules, the signed opening alone (evidence against the aggregator)."""
    if isinstance(receipt, Receipt):
        return receipt, receipt, ""
    data = json.loads(receipt) if isinstance(receipt, str) else dict(receipt)
    try:
        full = Receipt.model_validate(data)
        return full, full, ""
    except (ValidationError, InvalidReceipt, ValueError) as exc:
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        try:
            bare = Receipt.model_validate({**data, "history": []})
        except (ValidationError, InvalidReceipt, ValueError):
            return None, None, error
        return None, bare, error


class Participant(JobFollower):
    """A participant of one job (its payee address is its Ethereum account)."""

    role = "participant"

    def __init__(self, ctx: RoleContext, job_id: bytes, payees: Iterable[str] | None = None) -> None:
        super().__init__(ctx, job_id)
        self.payees = {p.lower() for p in (payees or [ctx.sender.address])}

    # ----------------------------------------------------------------------------------- status

    def may_train(self) -> tuple[bool, str]:
        """Whether to keep working for this job, and why not."""
        halted = self.ctx.store.get("halted")
        if halted:
            return False, str(halted)
        if self.ctx.store.get("needs_history"):
            return False, str(self.ctx.store.get("needs_history"))
        return True, ""

    def _halt(self, reason: str) -> None:
        if not self.ctx.store.get("halted"):
            log.warning("%s stops working for job 0x%s: %s", self.role, self.job_id.hex()[:12], reason)
            self.ctx.store.put("halted", reason)

    def _mark_invalid(self, round_number: int, reason: str) -> None:
        invalid = self.ctx.store.get("invalid", {})
        invalid[str(round_number)] = reason
        self.ctx.store.put("invalid", invalid)
        self._halt(f"round {round_number} is invalid: {reason}")

    # ---------------------------------------------------------------------------------- receipts

    def accept(self, receipt: Receipt | dict[str, Any] | str) -> Verdict:
        """Check a receipt against the chain and the round rules; store it, or act on what is wrong."""
        full, signed, error = _parse(receipt)
        if signed is None:
            return Verdict("refused", f"not a receipt: {error}")
        job = self.refresh()
        verdict = self._check_signed(job, signed)
        if verdict is not None:
            return verdict
        state = signed.state()
        r = state.round
        if r > job.tip:
            pending = self.ctx.store.get("pending_receipts", [])
            pending.append(signed.model_dump(mode="json") if full is None else full.model_dump(mode="json"))
            self.ctx.store.put("pending_receipts", pending)
            return Verdict("pending", f"round {r} is not on chain yet; checked again when it is")
        chain_commitment = job.rounds.links[r].commitment
        if chain_commitment != signed.commitment:
            self.ctx.store.put("equivocation", {"round": r, "receipt": signed.model_dump(mode="json")})
            self._halt(f"the aggregator signed, for round {r}, a commitment other than the chain's")
            return Verdict("refused", "equivocation: the signed commitment is not the chain's",
                           "proving equivocation with this receipt")
        prev = self.held(job, r - 1)
        if prev is None and full is not None:
            verdict = self._adopt_history(job, full)
            if verdict is not None:
                return verdict
            prev = self.held(job, r - 1)
        if prev is None:
            if error:
                return Verdict("refused", f"the receipt's history is unusable ({error}) and round {r - 1} is not "
                                          "held", "requesting the missing opening on chain")
            return Verdict("refused", f"round {r - 1} is not held", "requesting the missing opening on chain")
        try:
            prev.update_to(state)
        except InvalidRound as exc:
            self.ctx.store.put_opening(state)
            self._mark_invalid(r, str(exc))
            return Verdict("refused", f"round {r} does not follow round {r - 1}: {exc}", f"challenging round {r}")
        mine = {a for a, _ in state.participants()} & {address_to_int(p) for p in self.payees}
        if not mine:
            return Verdict("refused", "none of this participant's addresses is in the state")
        self.ctx.store.put_opening(state)
        for payee in self.payees:
            if address_to_int(payee) in mine:
                self.ctx.store.put_receipt(payee, full or signed)
        return Verdict("accepted")

    def _check_signed(self, job: JobProjection, signed: Receipt) -> Verdict | None:
        if (signed.chain_id, signed.contract.lower(), signed.job_id.lower()) != (
                self.ctx.chain.chain_id, self.ctx.settle.address.lower(), "0x" + self.job_id.hex()):
            return Verdict("refused", "the receipt is for another chain, contract or job")
        if signed.build != self.params.name or signed.max_units != job.config.terms.max_units:
            return Verdict("refused", "the receipt is for another build or budget than the job's")
        try:
            signed.check_signer(job.config.terms.pub_hash)
        except InvalidReceipt as exc:
            return Verdict("refused", str(exc))
        state = signed.state()
        signature = signed.signature.to_signature()
        try:
            self.ctx.prover.check_witness(Circuit.RECEIPT, receipt_inputs(state, signature, signed.signer, 0))
        except (WitnessRuleError, ValueError) as exc:
            return Verdict("refused", f"the Receipt circuit refuses this receipt: {exc}")
        return None

    def _adopt_history(self, job: JobProjection, receipt: Receipt) -> Verdict | None:
        """A receipt from a round the participant has no opening before: take the history's openings if each
        is the chain's, and apply the join rule."""
        for state in receipt.history_states():
            if state.round > job.tip or job.rounds.links[state.round].commitment != state.commitment:
                return Verdict("refused", f"the history's round {state.round} is not the chain's")
        now = self.now()
        closed = job.last_closed_round(now)
        if receipt.defends_from > closed + 1:
            reason = (f"the receipt's openings start at round {receipt.defends_from - 1}, but rounds since round "
                      f"{closed} (the last closed one) can still be rolled back: ask the aggregator for them")
            self.ctx.store.put("needs_history", reason)
            return Verdict("refused", reason, "not training until the openings arrive")
        for state in receipt.history_states():
            self.ctx.store.put_opening(state)
        self.ctx.store.put("needs_history", None)
        return None

    # ------------------------------------------------------------------------------------ duties

    def first_held(self, job: JobProjection) -> int | None:
        rounds = [r for r in self.ctx.store.opening_rounds() if r <= job.tip]
        if 0 in job.openings and any(address_to_int(p) in job.openings[0].words for p in self.payees):
            rounds.append(0)
        return min(rounds) if rounds else None

    def tick(self) -> list[str]:
        """One pass over everything due (call it every few seconds)."""
        done: list[str] = []
        pending = self.ctx.store.get("pending_receipts", [])
        if pending:
            self.ctx.store.put("pending_receipts", [])
            for data in pending:
                verdict = self.accept(data)
                if verdict.status == "pending":
                    continue
                done.append(f"receipt of round {data['opening']['round']}: {verdict.status}")
        job = self.refresh()
        now = self.now()
        margin = self.ctx.timing.margin
        done += self._check_rounds(job)
        done += self._prove_equivocation(job)
        done += self._challenge_invalid(job, now)
        done += self._request_missing(job, now, margin)
        done += self.defend(job, now, delay=self.ctx.timing.respond_delay)
        job = self.refresh()
        done += self._finalize_abandoned(job, now)
        job = self.refresh()
        done += self.open_payouts_if_due(job, now)
        job = self.refresh()
        if job.payouts_opened is not None and now > job.payouts_opened["time"] + self.ctx.timing.payout_grace:
            done += self.pay_batches(job, self.own_batches(job), now)
        done += self.withdraw_credits()
        return done

    def own_batches(self, job: JobProjection) -> set[int]:
        settled = self.held(job, job.tip)
        if settled is None:
            return set()
        mine = {address_to_int(p) for p in self.payees}
        return {slot // self.params.batch for slot, (a, _) in enumerate(settled.participants()) if a in mine}

    def _check_rounds(self, job: JobProjection) -> list[str]:
        """Every consecutive pair of held openings must follow by the round rules (answered requests too)."""
        first = self.first_held(job)
        if first is None:
            return []
        invalid = self.ctx.store.get("invalid", {})
        done = []
        for r in range(first + 1, job.tip + 1):
            if str(r) in invalid:
                continue
            prev, cur = self.held(job, r - 1), self.held(job, r)
            if prev is None or cur is None:
                continue
            try:
                prev.update_to(cur)
            except InvalidRound as exc:
                self._mark_invalid(r, str(exc))
                done.append(f"found round {r} invalid: {exc}")
        return done

    def _challenge_invalid(self, job: JobProjection, now: int) -> list[str]:
        done: list[str] = []
        if job.variant is not Variant.COMMIT_CHALLENGE or job.phase not in (Phase.ACTIVE, Phase.FINALIZED):
            return done
        for key in self.ctx.store.get("invalid", {}):
            r = int(key)
            if r > job.tip or r in job.proven or r in job.challenges:
                continue
            if now > job.challenge_window_end(r):
                log.error("round %d is invalid but its challenge window closed at %d", r, job.challenge_window_end(r))
                continue
            if self.act(f"challenge:{r}", f"challenge of round {r}", partial(
                    self.ctx.settle.challenge, self.ctx.sender, self.job_id, job.config, r, job.rounds.around(r))):
                done.append(f"challenged round {r}")
        return done

    def _prove_equivocation(self, job: JobProjection) -> list[str]:
        evidence = self.ctx.store.get("equivocation")
        if not evidence or self.done_before(f"equivocation:{evidence['round']}"):
            return []
        r = int(evidence["round"])
        if r > job.tip or job.equivocations:
            return []
        receipt = Receipt.model_validate({**evidence["receipt"], "history": []})
        state, signature = receipt.state(), receipt.signature.to_signature()
        if not eddsa.verify(receipt.signer, receipt.commitment, signature):
            return []
        proof = self.ctx.prover.prove_receipt(state, signature, receipt.signer, self.address).proof
        if self.act(f"equivocation:{r}", f"equivocation proof of round {r}", partial(
                self.ctx.settle.prove_equivocation, self.ctx.sender, self.job_id, job.config, r, job.rounds.around(r),
                receipt.commitment, proof)):
            return [f"proved equivocation in round {r}"]
        return []

    def _finalize_abandoned(self, job: JobProjection, now: int) -> list[str]:
        """Close a job its aggregator abandoned, as anyone may once the tip is older than the inactivity timeout
        (or the hard deadline passed): the tip then stays requestable one more window and payouts open after.
        Not while a dispute is pending: its outcome (a fault closes the job itself) comes first."""
        if job.phase is not Phase.ACTIVE or any(job.pending()):
            return []
        terms = job.config.terms
        if now <= min(job.rounds.links[job.tip].time + terms.inactivity_timeout, terms.hard_deadline):
            return []
        if self.act("finalize", "finalizing the abandoned job", partial(
                self.ctx.settle.finalize, self.ctx.sender, self.job_id, job.config, job.rounds.tip_history())):
            return ["finalized the abandoned job"]
        return []

    def _request_missing(self, job: JobProjection, now: int, margin: int) -> list[str]:
        """Ask on chain for the opening of every round it has no receipt for (after a grace period)."""
        first = self.first_held(job)
        if first is None or job.phase not in (Phase.ACTIVE, Phase.FINALIZED):
            return []
        done = []
        for r in range(first + 1, job.tip + 1):
            if self.held(job, r) is not None or r in job.requests:
                continue
            t = job.rounds.links[r].time
            if now < t + self.ctx.timing.receipt_grace or now > job.request_window_end(r) - margin:
                continue
            request = partial(self.ctx.settle.request_opening, self.ctx.sender, self.job_id, job.config, r,
                              job.rounds.around(r))
            if self.act(f"request:{r}", f"opening request of round {r}", request):
                done.append(f"requested the opening of round {r} (no receipt)")
        return done

    def settled(self) -> bool:
        """Whether nothing is left to do: the job completed and no credit waits."""
        job = self.refresh()
        return job.phase is Phase.COMPLETED and self.ctx.settle.credit_of(self.address) == 0

    def challenge_status(self, round_number: int) -> ChallengeStatus:
        return self.ctx.settle.challenge_of(self.job_id, round_number).status

    def dispute(self, round_number: int) -> DisputeStatus | None:
        job = self.refresh()
        d = job.challenges.get(round_number)
        return d.status if d else None


class Watchtower(Participant):
    """Defends participants who hand it their receipts (they may go offline); it never trains."""

    role = "watchtower"

    def __init__(self, ctx: RoleContext, job_id: bytes) -> None:
        super().__init__(ctx, job_id, payees=[])
        self.payees = {p.lower() for p in ctx.store.get("clients", [])}

    def register(self, receipt: Receipt | dict[str, Any] | str, payee: str) -> Verdict:
        """Take over ``payee``'s defence from this receipt on."""
        clients = set(self.ctx.store.get("clients", []))
        clients.add(payee.lower())
        self.ctx.store.put("clients", sorted(clients))
        self.payees = set(clients)
        return self.accept(receipt)

    def may_train(self) -> tuple[bool, str]:
        return False, "a watchtower does not train"


def held_state(follower: JobFollower, round_number: int) -> RewardState | None:
    """The opening a role holds of a round (for tests and status pages)."""
    job = follower.refresh()
    return follower.held(job, round_number)
