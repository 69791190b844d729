"""What the dispute tests share: an attacker's own moves, money followed net of gas, the last ticks, the audit.

Only the attacker's moves are made by hand here (a round committed with a state built outside the
aggregator engine, receipts signed for it, a challenge from an account of the attacker's); everything an
honest party does goes through the role engines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from eth_account.signers.local import LocalAccount
from web3.types import TxData

from settlefl.audit.auditor import audit
from settlefl.audit.report import AuditReport, Verdict
from settlefl.chain.client import Chain
from settlefl.chain.contract import JobTerms, Phase
from settlefl.params import RHO_BPS
from settlefl.roles.aggregator import Aggregator
from settlefl.roles.follower import JobFollower
from settlefl.state import Receipt, RewardState, int_to_address, make_receipt, pack_word, unpack_word
from tests.circuits.conftest import COMMITTED_BUILD as TEST_BUILD
from tests.roles.conftest import SIGNING_KEY, World

BPS = 10_000


# ------------------------------------------------------------------------------ the attacker's moves


def forged_round(prev: RewardState, units: Mapping[str, int], salt: int = 0x5EED) -> RewardState:
    """The state of round ``prev.round + 1`` in which each listed payee's cumulative units are *set* to the
    given value (a cut if lower: no valid round can do that); the others keep theirs."""
    wanted = {int(a, 16): u for a, u in units.items()}
    words = list(prev.words)
    for slot, (address, _) in enumerate(prev.participants()):
        if address in wanted:
            words[slot] = pack_word(address, wanted[address])
    total = sum(unpack_word(w)[1] for w in words[: prev.n])
    return RewardState(prev.params, prev.domain, prev.max_units, prev.round + 1, tuple(words), prev.n, total, salt)


def commit_by_hand(world: World, aggregator: Aggregator, state: RewardState) -> None:
    """The aggregator's account commits ``state`` outside its engine (the engine would never build it)."""
    world.settle.commit(aggregator.ctx.sender, aggregator.nonce, state.commitment)


def sign_by_hand(world: World, aggregator: Aggregator, state: RewardState,
                 history: Sequence[RewardState] = ()) -> Receipt:
    """A receipt for ``state`` signed with the job's key, outside the engine's signing log."""
    return make_receipt(chain_id=world.chain.chain_id, contract=world.settle.address, job_id=aggregator.job_id,
                        state=state, private_key=SIGNING_KEY, history=history)


def challenge_by_hand(world: World, challenger: LocalAccount, aggregator: Aggregator, round_number: int) -> None:
    """Someone other than a role engine challenges round ``round_number`` (with the challenger bond)."""
    job = aggregator.refresh()
    world.settle.challenge(world.settle.sender(challenger), aggregator.job_id, job.config, round_number,
                           job.rounds.around(round_number))


# ----------------------------------------------------------------------------------------- money


class Purse:
    """What each followed account received from a snapshot on, net of the gas it paid.

    ``received()[name] = balance now - balance then + gas paid since``: bonds and fees an account sent
    count against it, what the contract paid it counts for it, and its transactions' fees do not count.
    Every followed account must exist (be funded) before the snapshot.
    """

    def __init__(self, chain: Chain, accounts: Mapping[str, str]) -> None:
        self.chain = chain
        self.accounts = dict(accounts)
        self.block = chain.block_number()
        self.before = {name: chain.w3.eth.get_balance(a, self.block) for name, a in self.accounts.items()}  # type: ignore[arg-type]

    def gas_paid(self) -> dict[str, int]:
        owner = {a.lower(): name for name, a in self.accounts.items()}
        paid = dict.fromkeys(self.accounts, 0)
        w3 = self.chain.w3
        for number in range(self.block + 1, self.chain.block_number() + 1):
            block = w3.eth.get_block(number, full_transactions=True)
            for tx in cast(Sequence[TxData], block["transactions"]):
                name = owner.get(str(tx["from"]).lower())
                if name is not None:
                    receipt = w3.eth.get_transaction_receipt(tx["hash"])
                    paid[name] += int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
        return paid

    def received(self) -> dict[str, int]:
        gas = self.gas_paid()
        w3 = self.chain.w3
        return {name: w3.eth.get_balance(a) - self.before[name] + gas[name]  # type: ignore[arg-type]
                for name, a in self.accounts.items()}


def follow_money(world: World, aggregator: Aggregator, **others: str) -> Purse:
    """A purse following the aggregator, every participant of the world, and ``others`` (name -> address)."""
    accounts = {"aggregator": aggregator.address, **{n: p.address for n, p in world.participants.items()}}
    return Purse(world.chain, {**accounts, **others})


@dataclass(frozen=True)
class FaultPayout:
    """What a faulted job pays (docs/protocol.md, "Money"): the escrow and ``1 - rho`` of the bond pro rata
    over the settled state; ``rho`` of the bond and every rounding remainder to the reward recipient."""

    shares: dict[str, int]  # payee address (checksummed) -> escrow share + bond share
    escrow_out: int  # the escrow shares together
    bond_out: int  # the bond shares together
    reward: int  # rho of the bond
    dust: int  # what the pro-rata divisions leave

    @classmethod
    def of(cls, state: RewardState, terms: JobTerms) -> FaultPayout:
        reward = terms.bond * RHO_BPS // BPS
        bond_share = terms.bond - reward
        escrow = {int_to_address(a): u * terms.escrow // state.total for a, u in state.participants()}
        bond = {int_to_address(a): u * bond_share // state.total for a, u in state.participants()}
        escrow_out, bond_out = sum(escrow.values()), sum(bond.values())
        return cls({a: escrow[a] + bond[a] for a in escrow}, escrow_out, bond_out, reward,
                   terms.escrow + bond_share - escrow_out - bond_out)


def units_of(state: RewardState) -> dict[str, int]:
    return {int_to_address(a): u for a, u in state.participants()}


# ---------------------------------------------------------------------------------- the last ticks


def settle(world: World, roles: Iterable[JobFollower], limit: int = 24) -> list[str]:
    """Tick ``roles`` and move chain time until their job completes and nobody is owed a credit.

    Time moves by half a challenge window at a time, but only by ``respond_delay + 1`` while a dispute is
    open, so that every role gets its turn to answer before the response deadline (as a role ticking every
    few seconds would).
    """
    roles = list(roles)
    job_id = roles[0].job_id
    done: list[str] = []
    for _ in range(limit):
        done += world.tick(*roles)
        credits = sum(world.settle.credit_of(r.address) for r in roles)
        view = world.settle.get_job(job_id)
        if view.phase is Phase.COMPLETED and credits == 0:
            return done
        disputes = view.open_challenges + view.open_requests
        world.warp(world.timing.respond_delay + 1 if disputes else 301)
    raise AssertionError(f"the job did not settle in {limit} steps; the roles did: {done}")


def audited(world: World, job_id: bytes, proofs: Mapping[str, int]) -> AuditReport:
    """The auditor's report on a settled job, which must be SOUND, with exactly ``proofs`` re-verified (per
    function: a SOUND report that checked no proof would be worthless)."""
    report = audit(world.chain, world.deployment.settlefl, job_id, [TEST_BUILD],
                   from_block=world.deployment.deploy_block)
    assert report.verdict is Verdict.SOUND, report.reasons
    counted: dict[str, int] = {}
    for proof in report.proofs:
        assert proof.ok
        counted[proof.function] = counted.get(proof.function, 0) + 1
    assert counted == dict(proofs)
    assert all(ledger.balanced for ledger in report.ledgers)
    return report
