"""The chain misbehaves under the roles: reorganisations, a dead RPC endpoint, a forged deployment.

* A reorganisation of the last blocks (anvil's ``anvil_reorg`` and ``anvil_rollback``) is seen by the
  watcher, which rolls the events of the orphaned blocks back out of the projection; the roles then put
  back their own orphaned transactions (the same signed bytes, the same nonces), so the final chain holds
  each action exactly once and the job settles.
* The RPC endpoint stopped for 10 s (a proxy in front of anvil) gives one warning naming the endpoint and
  the roles wait for it: the step in progress completes once it is back. Past ``max_wait`` the error says
  which endpoint and what to check.
* A deployment whose verifier is not the one its build's manifest vouches for (another build's, or a mock
  that accepts everything) is refused by name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from settlefl.chain.artifacts import load_artifact
from settlefl.chain.client import Chain, Sender
from settlefl.chain.contract import ChallengeStatus, Phase, SettleFL
from settlefl.chain.deploy import (
    VERIFIER_ORDER,
    BuildRecord,
    Deployer,
    Deployment,
    check_deployment,
    verifier_artifact,
)
from settlefl.chain.errors import DeploymentMismatch, RpcUnavailable
from settlefl.chain.projection import project
from settlefl.circuits.manifest import Manifest
from settlefl.circuits.prover import Prover
from settlefl.circuits.spec import Circuit
from settlefl.devchain import Anvil
from settlefl.params import RHO_BPS
from settlefl.roles.aggregator import Aggregator
from settlefl.state.receipt import make_receipt
from settlefl.state.reward_state import RewardState
from settlefl.state.words import int_to_address, pack_word
from tests.audit.conftest import OTHER_BUILD
from tests.circuits.conftest import COMMITTED_BUILD
from tests.roles.conftest import BOUNDS, SIGNING_KEY, World, new_account
from tests.roles.onchain import Balances, assert_sound, calls
from tests.roles.proxy import OutageProxy

PRICE = 10**12  # JobPlan's default unit price


def payees(world: World) -> list[str]:
    return [world.accounts[n].address for n in sorted(world.participants)]


def units_of(round_number: int, addresses: list[str]) -> dict[str, int]:
    return {a: 10 * round_number + i for i, a in enumerate(addresses)}


def transfer(chain: Chain, account: LocalAccount) -> str:
    """A signed transfer of 1 wei by ``account`` (nonce 0): what another block of a reorganisation holds."""
    signed = account.sign_transaction({"to": account.address, "value": 1, "gas": 21_000, "nonce": 0,
                                       "chainId": chain.chain_id, "maxFeePerGas": 10**10,
                                       "maxPriorityFeePerGas": 10**9})
    return "0x" + bytes(signed.raw_transaction).hex()


def settle(world: World, aggregator: Aggregator) -> None:
    aggregator.finish()
    world.warp(700)
    world.tick(aggregator)
    assert aggregator.refresh().phase is Phase.COMPLETED


# -------------------------------------------------------------------------------- reorganisations


@pytest.mark.slow
def test_a_reorg_that_orphans_two_commits_is_rolled_back_and_the_same_commits_are_mined_again(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    since = world.chain.block_number()
    stranger = new_account(world.chain)  # funded before the blocks that will be replaced
    aggregator = world.aggregator(3)
    addresses = payees(world)
    for r in (1, 2, 3):
        world.deliver(aggregator.submit_round(units_of(r, addresses)))
    before = calls(world.chain, world.settle, "commit", since)
    assert [c.block for c in before[1:]] == [world.chain.block_number() - 1, world.chain.block_number()]
    committed = [aggregator.refresh().rounds.links[r].commitment for r in (1, 2, 3)]

    # The last two blocks (the commits of rounds 2 and 3) are replaced by two others, one holding a stranger's
    # transfer: the commits are gone from the chain and from anvil's pool.
    caplog.set_level(logging.INFO)
    world.chain.rpc("anvil_reorg", 2, [[transfer(world.chain, stranger), 0]])
    assert world.settle.get_job(aggregator.job_id).tip == 1
    assert [c.tx_hash for c in calls(world.chain, world.settle, "commit", since)] == [before[0].tx_hash]

    # The watcher sees it: the events of the orphaned blocks leave the store and the projection.
    aggregator.watcher.sync()
    orphaned = {c.tx_hash for c in before[1:]}
    assert not orphaned & {e.tx_hash for e in aggregator.events.events(aggregator.job_id)}
    job = project(aggregator.job_id, aggregator.events.events(aggregator.job_id), aggregator.read_calldata)
    assert job is not None and job.tip == 1
    assert any("chain reorganisation" in r.getMessage() for r in caplog.records)

    # The next step of the engine puts its two commits back: the very same transactions, in nonce order.
    aggregator.tick()
    after = calls(world.chain, world.settle, "commit", since)
    assert [(c.tx_hash, c.nonce, c.ok) for c in after] == [(c.tx_hash, c.nonce, True) for c in before]
    job = aggregator.refresh()
    assert [job.rounds.links[r].commitment for r in (1, 2, 3)] == committed
    assert any("the same signed transactions were sent again: commit:2, commit:3" in r.getMessage()
               for r in caplog.records)
    for participant in world.participants.values():  # they saw rounds 2 and 3 go and come back: nothing to do
        assert participant.tick() == []
        assert participant.may_train() == (True, "")

    balances = Balances(world.chain, since)
    world.deliver(aggregator.submit_round(units_of(4, addresses)))  # its nonce follows the chain again
    settle(world, aggregator)
    for a in addresses:
        assert balances.net(a) == sum(units_of(r, addresses)[a] for r in (1, 2, 3, 4)) * PRICE
    assert balances.net(aggregator.address) == -sum(sum(units_of(r, addresses).values()) for r in (1, 2, 3, 4)) * PRICE
    assert balances.net(stranger.address) == 0  # its transfer to itself, in the replacement block
    assert_sound(world.chain, world.settle, aggregator.job_id)


@pytest.mark.slow
def test_a_reorg_that_orphans_a_participants_challenge_puts_back_that_challenge_and_never_a_second_one(
        world: World) -> None:
    since = world.chain.block_number()
    aggregator = world.aggregator(3)
    addresses = payees(world)
    world.deliver(aggregator.submit_round(units_of(1, addresses)))

    # The aggregator's own bad move: round 2 cuts p0's units, committed and signed outside its engine.
    job = aggregator.refresh()
    prev = aggregator.held(job, 1)
    assert prev is not None
    victim = world.participants["p0"]
    words = list(prev.words)
    words[0] = pack_word(victim.address, 1)  # p0 had 10 units
    cut = RewardState(prev.params, prev.domain, prev.max_units, 2, tuple(words), prev.n, prev.total - 9, 0x5EED)
    world.settle.commit(aggregator.ctx.sender, aggregator.nonce, cut.commitment)
    receipt = make_receipt(chain_id=world.chain.chain_id, contract=world.settle.address, job_id=aggregator.job_id,
                           state=cut, private_key=SIGNING_KEY)
    verdict = victim.accept(receipt)
    assert (verdict.status, verdict.action) == ("refused", "challenging round 2")
    assert "challenged round 2" in victim.tick()
    challenge = calls(world.chain, world.settle, "challenge", since)
    assert len(challenge) == 1 and challenge[0].block == world.chain.block_number()

    world.chain.rpc("anvil_rollback", 1)  # the block holding the challenge is gone
    assert world.settle.challenge_of(aggregator.job_id, 2).status is ChallengeStatus.NONE
    victim.watcher.sync()
    seen = project(aggregator.job_id, victim.events.events(aggregator.job_id), victim.read_calldata)
    assert seen is not None and seen.challenges == {} and seen.tip == 2

    assert victim.tick() == []  # it put its challenge back, so it has nothing new to do
    again = calls(world.chain, world.settle, "challenge", since)
    assert [(c.tx_hash, c.nonce, c.sender, c.ok) for c in again] == [
        (challenge[0].tx_hash, challenge[0].nonce, victim.address, True)]
    assert world.settle.challenge_of(aggregator.job_id, 2).status is ChallengeStatus.OPEN

    # Nobody can answer (round 2 does not follow round 1); the participants' engines settle the fault.
    world.warp(BOUNDS.response_window + 1)
    roles = list(world.participants.values())
    done = world.tick(*roles)
    assert "resolved the unanswered challenge of round 2" in done
    world.warp(BOUNDS.challenge_window + 1)
    done = world.tick(*roles)
    world.warp(1)  # a batch is paid strictly after payouts opened
    done += world.tick(*roles)
    assert "opened payouts" in done and "paid batch 0" in done
    job = victim.refresh()
    assert job.phase is Phase.COMPLETED and job.tip == 1

    # Round 1's state is paid pro rata with the escrow, the bond split: 10% and every remainder to the
    # challenger, the rest pro rata; the challenger's bond came back.
    terms = job.config.terms
    balances = Balances(world.chain, since)
    reward = terms.bond * RHO_BPS // 10_000
    shares = {int_to_address(a): u * terms.escrow // prev.total + u * (terms.bond - reward) // prev.total
              for a, u in prev.participants()}
    dust = terms.escrow + terms.bond - reward - sum(shares.values())
    for address in addresses:
        bonus = reward + dust if address == victim.address else 0
        assert balances.net(address) == shares[address] + bonus, address
    assert balances.net(aggregator.address) == -(terms.escrow + terms.bond)
    assert world.settle.held_of(aggregator.job_id, job.config) == (0, 0, 0)
    assert_sound(world.chain, world.settle, aggregator.job_id)


# ------------------------------------------------------------------------------------ RPC outages


@pytest.fixture
def proxy(anvil: Anvil) -> Iterator[OutageProxy]:
    with OutageProxy(anvil.port) as p:
        yield p


@pytest.mark.slow
def test_the_rpc_endpoint_stopped_for_ten_seconds_is_logged_once_and_the_step_completes_when_it_is_back(
        proxy: OutageProxy, deployment: Deployment, prover: Prover, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    world = World(Chain(proxy.url, max_wait=60), deployment, prover, tmp_path)
    since = world.chain.block_number()
    aggregator = world.aggregator(3)
    addresses = payees(world)
    world.deliver(aggregator.submit_round(units_of(1, addresses)))

    caplog.set_level(logging.INFO, logger="settlefl")
    proxy.down()
    back = threading.Timer(10, proxy.up)
    back.start()
    started = time.monotonic()
    receipts = aggregator.submit_round(units_of(2, addresses))  # refresh, commit, wait, sign: all in the outage
    waited = time.monotonic() - started
    back.join()
    assert 9.5 <= waited < 20
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    down = [m for m in warnings if "not answering" in m]
    assert len(down) == 1 and proxy.url in down[0] and "retrying for up to 60 s" in down[0], down
    assert [m for m in warnings if "answers again" in m] != []
    assert len(warnings) == 2, warnings  # nothing else complained

    world.deliver(receipts)
    assert world.tick(*world.participants.values()) == []
    balances = Balances(world.chain, since)
    settle(world, aggregator)
    for a in addresses:
        assert balances.net(a) == sum(units_of(r, addresses)[a] for r in (1, 2)) * PRICE
    assert_sound(world.chain, world.settle, aggregator.job_id)


@pytest.mark.slow
def test_an_endpoint_down_for_longer_than_max_wait_raises_rpc_unavailable_saying_what_to_check(
        proxy: OutageProxy) -> None:
    chain = Chain(proxy.url, max_wait=2)
    assert chain.block_number() >= 0
    proxy.down()
    started = time.monotonic()
    with pytest.raises(RpcUnavailable) as raised:
        chain.block_number()
    assert 2 <= time.monotonic() - started < 10
    message = str(raised.value)
    assert proxy.url in message
    assert "check that the node is running and that --rpc names it" in message
    proxy.up()
    assert chain.block_number() >= 0  # and it works again once the endpoint is back


# ----------------------------------------------------------------------------- forged deployments


def _deploy_with(chain: Chain, deployment: Deployment, swapped: dict[Circuit, str]) -> Deployment:
    """SettleFL (the project's own code) with the committed build's verifiers except ``swapped``, and the
    record a forger would publish: it claims the committed build and its manifest."""
    deployer = Deployer(chain, Sender(chain, new_account(chain)))
    record = deployment.builds[0]
    verifiers = {**record.verifiers, **{c.value: a for c, a in swapped.items()}}
    build = (record.participants, record.batch, *(verifiers[c.value] for c in VERIFIER_ORDER))
    start = chain.block_number()
    extension = deployer.deploy_code(load_artifact("SettleFLExtension"), ([build], BOUNDS.as_abi()),
                                     "SettleFLExtension")
    address = deployer.deploy_code(load_artifact("SettleFL"), ([build], [], BOUNDS.as_abi(), extension), "SettleFL")
    assert SettleFL(chain, address).contract.functions.extension().call() == extension
    return Deployment(chain_id=chain.chain_id, settlefl=address, extension=extension, deploy_block=start,
                      builds=[BuildRecord(**{**record.model_dump(), "verifiers": verifiers})],
                      bounds=deployment.bounds)


def test_a_deployment_with_the_builds_own_verifiers_passes_the_check(chain: Chain, deployment: Deployment) -> None:
    check_deployment(chain, deployment, {deployment.builds[0].name: COMMITTED_BUILD})
    same = _deploy_with(chain, deployment, {})
    check_deployment(chain, same, {same.builds[0].name: COMMITTED_BUILD})


def test_a_deployment_with_an_accept_everything_verifier_is_refused_naming_the_circuit(
        chain: Chain, deployment: Deployment) -> None:
    mock = Deployer(chain, Sender(chain, new_account(chain))).deploy_code(load_artifact("MockVerifier"))
    forged = _deploy_with(chain, deployment, {Circuit.RECEIPT: mock})
    with pytest.raises(DeploymentMismatch, match=f"the receipt verifier at {mock} does not match build "
                                                 f"{forged.builds[0].name}'s verification key"):
        check_deployment(chain, forged, {forged.builds[0].name: COMMITTED_BUILD})


@pytest.mark.slow
def test_a_deployment_with_another_builds_verifier_is_refused_naming_the_circuit(
        chain: Chain, deployment: Deployment) -> None:
    other = verifier_artifact(OTHER_BUILD, Manifest.load(OTHER_BUILD), Circuit.TRANSITION)
    address = Deployer(chain, Sender(chain, new_account(chain))).deploy_code(other, label="another build's verifier")
    forged = _deploy_with(chain, deployment, {Circuit.TRANSITION: address})
    with pytest.raises(DeploymentMismatch, match=f"the transition verifier at {address} does not match"):
        check_deployment(chain, forged, {forged.builds[0].name: COMMITTED_BUILD})
