"""The transaction sender on a real anvil: nonces, fee caps, stuck transactions, decoded reverts, the journal."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from web3.types import TxParams, TxReceipt

from settlefl.chain.client import Chain, Sender, wait_until
from settlefl.chain.errors import FeeCapExceeded, TransactionReverted, TransactionTimeout
from settlefl.roles.store import RoleStore
from tests.roles.conftest import BOUNDS, World, new_account
from tests.roles.onchain import mining_paused


def transfer(account: LocalAccount, value: int = 1) -> TxParams:
    return {"to": account.address, "value": value, "gas": 21_000}  # type: ignore[typeddict-item]


def fees_of(raw: bytes) -> tuple[int, int]:
    tx: dict[str, Any] = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    return int(tx["maxFeePerGas"]), int(tx["maxPriorityFeePerGas"])


def nonce_of(chain: Chain, receipt: TxReceipt) -> int:
    return int(chain.w3.eth.get_transaction(receipt["transactionHash"])["nonce"])


def test_a_sender_whose_nonce_was_used_behind_its_back_resynchronises_and_sends(
        chain: Chain, caplog: pytest.LogCaptureFixture) -> None:
    account = new_account(chain)
    sender = Sender(chain, account)
    assert nonce_of(chain, sender.send_raw(transfer(account), "first")) == 0
    assert nonce_of(chain, Sender(chain, account).send_raw(transfer(account), "behind its back")) == 1
    caplog.set_level(logging.INFO, logger="settlefl.chain.client")
    receipt = sender.send_raw(transfer(account), "third")  # it believes the next nonce is 1
    assert nonce_of(chain, receipt) == 2 and receipt["status"] == 1
    assert [r.getMessage() for r in caplog.records if "nonce" in r.getMessage()] == [
        f"nonce 1 of {account.address} was used by another transaction; resynchronising from the chain"]
    assert chain.w3.eth.get_transaction_count(account.address) == 3


def test_a_sender_refuses_to_send_when_the_base_fee_is_above_the_users_cap(chain: Chain) -> None:
    account = new_account(chain)
    base = int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    with pytest.raises(FeeCapExceeded, match=f"above your cap of {base - 1}: nothing was sent"):
        Sender(chain, account, fee_cap_wei=base - 1).send_raw(transfer(account), "too cheap")
    assert chain.w3.eth.get_transaction_count(account.address, "pending") == 0
    # A cap between the base fee and what the sender would offer bounds the offer instead.
    capped = Sender(chain, account, fee_cap_wei=base + 1).send_raw(transfer(account), "capped")
    assert chain.w3.eth.get_transaction(capped["transactionHash"])["maxFeePerGas"] == base + 1


def test_a_stuck_transaction_is_replaced_with_higher_fees_and_the_replacement_is_what_gets_mined(
        chain: Chain) -> None:
    account = new_account(chain)
    journal = RoleStore(":memory:")
    sender = Sender(chain, account, bump_after=0.3, receipt_timeout=60, poll=0.05)
    sender.journal = journal
    miner = Chain(chain.url)  # the test's own connection (the sender's runs in its thread)
    mined: list[TxReceipt] = []

    def send() -> None:
        with sender.keyed("stuck"):
            mined.append(sender.send_raw(transfer(account), "a stuck transfer"))

    with mining_paused(chain):
        thread = threading.Thread(target=send)
        thread.start()

        def copies() -> int:
            entry = journal.journal_get("stuck")
            return 0 if entry is None else len(entry.hashes)

        assert wait_until(lambda: copies() >= 3, timeout=30, poll=0.05)
        miner.rpc("evm_mine")
        thread.join(timeout=30)
    entry = journal.journal_get("stuck")
    assert entry is not None and mined and entry.status == "done"
    winner = HexBytes(mined[0]["transactionHash"]).hex()
    assert winner in entry.hashes and winner != entry.hashes[0]  # a replacement, not the first copy
    fees = [fees_of(raw) for raw in entry.raws]
    assert all(b[0] * 10 >= a[0] * 11 and b[1] * 10 >= a[1] * 11 for a, b in zip(fees, fees[1:], strict=False))
    assert fees_of(entry.raws[entry.hashes.index(winner)]) > fees[0]
    assert chain.w3.eth.get_transaction_count(account.address) == 1  # one transfer, whichever copy


@pytest.mark.slow
def test_a_revert_is_decoded_into_the_contracts_custom_error_with_its_arguments(world: World) -> None:
    aggregator = world.aggregator(2)
    addresses = [world.accounts[n].address for n in sorted(world.participants)]
    world.deliver(aggregator.submit_round({a: 5 for a in addresses}))
    job = aggregator.refresh()
    end = job.rounds.links[1].time + BOUNDS.challenge_window
    world.warp(BOUNDS.challenge_window + 1)
    late = world.settle.sender(world.accounts["p0"])
    # Refused before anything is sent (the gas estimate replays the call) ...
    with pytest.raises(TransactionReverted) as refused:
        world.settle.challenge(late, aggregator.job_id, job.config, 1, job.rounds.around(1))
    assert (refused.value.error, refused.value.args_) == ("WindowClosed", {"round": 1, "end": end})
    assert str(refused.value) == f"challenge of round 1 reverted: WindowClosed(round=1, end={end})"
    # ... and after it was mined (sent with a fixed gas limit, no estimate): replayed at its block.
    fn = world.settle.contract.functions.challenge(aggregator.job_id, job.config.as_abi(), 1,
                                                   job.rounds.around(1).as_abi())
    with pytest.raises(TransactionReverted) as mined:
        late.transact(fn, value=job.config.terms.challenger_bond, what="a late challenge", gas=500_000)
    assert (mined.value.error, mined.value.args_) == ("WindowClosed", {"round": 1, "end": end})
    assert world.chain.w3.eth.get_transaction_count(late.account.address) == 1  # it was mined, and failed


@pytest.mark.slow
def test_a_journaled_transaction_is_resumed_as_the_same_bytes_after_the_sender_is_lost(chain: Chain) -> None:
    account = new_account(chain)
    journal = RoleStore(":memory:")
    first = Sender(chain, account)
    first.journal = journal
    with mining_paused(chain):
        first.receipt_timeout, first.bump_after = 0, 0.1  # it gives up at once, like a process killed
        with first.keyed("pay"), pytest.raises(TransactionTimeout, match="a transfer was not mined within 0 s"):
            first.send_raw(transfer(account, 7), "a transfer")
        entry = journal.journal_get("pay")
        assert entry is not None and entry.status == "sent"
        second = Sender(chain, account)  # a new process: no nonce, no memory, only the journal
        second.journal = journal
        chain.rpc("evm_setIntervalMining", 1)
        receipt = second.resume("pay")
    assert receipt is not None and HexBytes(receipt["transactionHash"]).hex() == entry.hashes[-1]
    assert journal.journal_get("pay").status == "done"  # type: ignore[union-attr]
    assert second.resume("pay") is None  # done, and still in the chain: nothing to resume
    assert chain.w3.eth.get_transaction_count(account.address) == 1

