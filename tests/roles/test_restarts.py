"""Roles killed at the worst moment restart from their stores and carry on: nothing lost, nothing sent twice.

Each crash is real: the engine runs in a child process that SIGKILLs itself at the chosen instruction
(``tests/roles/crash.py``), so only what it wrote to its SQLite store survives. A new engine on the same
store then finishes the job, and the final chain shows every action exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext

import pytest

from settlefl.chain.contract import ChallengeStatus, Phase
from settlefl.roles.aggregator import Aggregator
from settlefl.roles.participant import Participant
from settlefl.roles.store import RoleStore
from settlefl.state.receipt import Receipt
from tests.circuits.conftest import COMMITTED_BUILD
from tests.roles.conftest import SIGNING_KEY, World, new_account
from tests.roles.crash import kill_during
from tests.roles.onchain import Balances, assert_sound, calls, mining_paused

pytestmark = pytest.mark.slow

PRICE = 10**12  # JobPlan's default unit price


def kill(world: World, name: str, **kwargs: object) -> str:
    """Run one step of role ``name`` in a child process that is SIGKILLed at ``kwargs['die']``."""
    return kill_during(rpc=world.chain.url, deployment_json=world.deployment.model_dump_json(), build=COMMITTED_BUILD,
                       store=world.root / f"{name}.sqlite", account=world.accounts[name], timing=world.timing,
                       signing_key=SIGNING_KEY, **kwargs)  # type: ignore[arg-type]


def payees(world: World) -> list[str]:
    return [world.accounts[n].address for n in sorted(world.participants)]


def units_of(round_number: int, addresses: list[str]) -> dict[str, int]:
    return {a: 10 * round_number + i for i, a in enumerate(addresses)}


def commitments(receipts: Mapping[str, Receipt]) -> set[int]:
    return {int(r.commitment) for r in receipts.values()}


def settle(world: World, aggregator: Aggregator) -> None:
    """Finish the job through the aggregator's engine and check it completed."""
    aggregator.finish()
    world.warp(700)
    world.tick(aggregator)
    assert aggregator.refresh().phase is Phase.COMPLETED


def assert_paid(world: World, aggregator: Aggregator, balances: Balances, earned: Mapping[str, int],
                extra: Mapping[str, int] = {}) -> None:  # noqa: B006 - read only
    """Every payee got its units at the job's price (plus ``extra``), the aggregator paid exactly that."""
    for address, units in earned.items():
        assert balances.net(address) == units * PRICE + extra.get(address, 0), address
    assert balances.net(aggregator.address) == -sum(earned.values()) * PRICE
    assert world.settle.held_of(aggregator.job_id, aggregator.config()) == (0, 0, 0)


@pytest.mark.parametrize("die", ["sign", "signed"])
def test_an_aggregator_killed_between_commit_and_signing_signs_the_same_commitment_after_a_restart(
        world: World, die: str) -> None:
    since = world.chain.block_number()
    aggregator = world.aggregator(3)
    addresses = payees(world)
    world.deliver(aggregator.submit_round(units_of(1, addresses)))

    kill(world, "aggregator", role="aggregator", action="submit_round", units=units_of(2, addresses), die=die)
    store = RoleStore(world.root / "aggregator.sqlite")
    committed = int(store.get("pending")["commitment"])
    assert world.settle.get_job(aggregator.job_id).tip == 2  # the commit was mined before the crash
    assert store.signed(2) == (committed if die == "signed" else None)
    assert store.receipt(addresses[0], 2) is None
    before = calls(world.chain, world.settle, "commit", since)
    assert [int(c.args["commitment"]) for c in before][-1] == committed

    restarted = world.restart_aggregator()
    # Other units are ignored: the interrupted round is finished first, with the state it committed.
    receipts = restarted.submit_round(units_of(7, addresses))
    assert commitments(receipts) == {committed}
    assert store.signed(2) == committed
    assert calls(world.chain, world.settle, "commit", since) == before  # no second commit of round 2
    world.deliver(receipts)

    balances = Balances(world.chain, since)
    world.deliver(restarted.submit_round(units_of(3, addresses)))
    settle(world, restarted)
    earned = {a: sum(units_of(r, addresses)[a] for r in (1, 2, 3)) for a in addresses}
    assert_paid(world, restarted, balances, earned)
    assert_sound(world.chain, world.settle, aggregator.job_id)


@pytest.mark.parametrize("die", ["journaled", "broadcast"])
def test_an_aggregator_killed_after_signing_its_commit_resumes_that_very_transaction_after_a_restart(
        world: World, die: str) -> None:
    since = world.chain.block_number()
    aggregator = world.aggregator(3)
    addresses = payees(world)
    world.deliver(aggregator.submit_round(units_of(1, addresses)))
    store = RoleStore(world.root / "aggregator.sqlite")

    with mining_paused(world.chain):
        kill(world, "aggregator", role="aggregator", action="submit_round", units=units_of(2, addresses), die=die,
             key="commit:")
        entry = store.journal_get("commit:2")
        assert entry is not None and entry.status == "sent"
        pool = world.chain.rpc("txpool_content")["pending"]
        assert (aggregator.address.lower() in {a.lower() for a in pool}) == (die == "broadcast")
        assert world.settle.get_job(aggregator.job_id).tip == 1  # nothing mined yet

        restarted = world.restart_aggregator()
        world.chain.rpc("evm_setIntervalMining", 1)  # blocks come while the restarted engine waits
        receipts = restarted.submit_round(units_of(7, addresses))

    commits = calls(world.chain, world.settle, "commit", since)
    assert len(commits) == 2  # rounds 1 and 2, once each
    assert (commits[1].tx_hash, commits[1].nonce, commits[1].ok) == (entry.hashes[-1], entry.nonce, True)
    assert commitments(receipts) == {int(commits[1].args["commitment"])}
    world.deliver(receipts)

    balances = Balances(world.chain, since)
    settle(world, restarted)
    earned = {a: sum(units_of(r, addresses)[a] for r in (1, 2)) for a in addresses}
    assert_paid(world, restarted, balances, earned)
    assert_sound(world.chain, world.settle, aggregator.job_id)


@pytest.mark.parametrize("die", ["prove-transition", "journaled", "broadcast"])
def test_a_participant_killed_while_answering_a_challenge_restarts_and_answers_it_once_in_time(
        world: World, die: str) -> None:
    since = world.chain.block_number()
    aggregator = world.aggregator(3)
    addresses = payees(world)
    for r in (1, 2):
        world.deliver(aggregator.submit_round(units_of(r, addresses)))
    # A frivolous challenge of the valid round 2 from the aggregator's own second account, while the
    # aggregator stays offline: only p0 (its store holds both openings) will answer.
    attacker = new_account(world.chain)
    job = aggregator.refresh()
    world.settle.challenge(world.settle.sender(attacker), aggregator.job_id, job.config, 2, job.rounds.around(2))
    deadline = aggregator.refresh().challenges[2].deadline
    p0 = world.participants["p0"]
    assert not any("answered" in d for d in p0.tick())  # it waits respond_delay for the aggregator
    world.warp(world.timing.respond_delay + 1)

    with mining_paused(world.chain) if die == "broadcast" else nullcontext():
        kill(world, "p0", role="participant", action="tick", job=aggregator.job_id, die=die, key="respond:")
        assert world.settle.challenge_of(aggregator.job_id, 2).status is ChallengeStatus.OPEN
        entry = RoleStore(world.root / "p0.sqlite").journal_get("respond:2")
        assert (entry is None) == (die == "prove-transition")

        # It comes back late, but before the deadline less its safety margin (without a block while the
        # response waits in the pool: a block would mine it before the restart).
        if die == "broadcast":
            world.chain.rpc("evm_increaseTime", 150)
        else:
            world.warp(150)
        restarted = Participant(world.context(world.accounts["p0"], "p0"), aggregator.job_id)
        world.participants["p0"] = restarted
        if die == "broadcast":
            world.chain.rpc("evm_setIntervalMining", 1)  # blocks come while the restarted engine waits
        done = restarted.tick()
    assert "answered the challenge of round 2" in done

    responses = calls(world.chain, world.settle, "respond", since)
    assert [(r.sender, r.ok) for r in responses] == [(restarted.address, True)]
    if entry is not None:
        assert responses[0].tx_hash == entry.hashes[-1]  # the journaled transaction, not a new one
    assert world.chain.timestamp(responses[0].block) <= deadline
    assert world.settle.challenge_of(aggregator.job_id, 2).status is ChallengeStatus.ANSWERED

    balances = Balances(world.chain, since)
    settle(world, aggregator)
    bond = aggregator.config().terms.challenger_bond
    earned = {a: sum(units_of(r, addresses)[a] for r in (1, 2)) for a in addresses}
    assert_paid(world, aggregator, balances, earned, extra={restarted.address: bond})
    assert balances.net(attacker.address) == -bond
    assert_sound(world.chain, world.settle, aggregator.job_id)
