"""A chain connection that survives a flaky endpoint, and a transaction sender that gets things mined.

* :class:`Chain` wraps web3 over HTTP. Every RPC call retries connection failures with exponential
  backoff for up to ``max_wait`` seconds, logging once that the endpoint is down (and once that it is
  back); past that it raises :class:`RpcUnavailable` naming the endpoint.
* :class:`Sender` sends an account's transactions: its own nonce (resynchronised from the chain after
  "nonce too low"), EIP-1559 fees under a user cap, receipts awaited with a timeout, a stuck transaction
  replaced with bumped fees, and every revert decoded into the contract's custom error before anything is
  sent (gas estimation replays the call) or after (a mined failure is replayed at its block).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast

import requests
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound, Web3RPCError
from web3.providers.rpc import HTTPProvider
from web3.types import BlockIdentifier, RPCEndpoint, RPCResponse, TxParams, TxReceipt

from settlefl.chain.errors import (
    ErrorDecoder,
    FeeCapExceeded,
    RpcUnavailable,
    TransactionReverted,
    TransactionTimeout,
)

log = logging.getLogger(__name__)

_CONNECTION_ERRORS = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)


class RetryingHTTPProvider(HTTPProvider):
    """HTTP JSON-RPC that retries connection failures with backoff, logging the outage once."""

    def __init__(self, url: str, *, max_wait: float = 120.0, request_timeout: float = 30.0) -> None:
        super().__init__(url, request_kwargs={"timeout": request_timeout})
        self.url = url
        self.max_wait = max_wait
        self._down_since: float | None = None

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        delay, started = 0.25, time.monotonic()
        while True:
            try:
                response = super().make_request(method, params)
            except _CONNECTION_ERRORS as exc:
                waited = time.monotonic() - started
                if self._down_since is None:
                    self._down_since = time.monotonic()
                    log.warning(
                        "the RPC endpoint %s is not answering (%s); retrying for up to %.0f s",
                        self.url, type(exc).__name__, self.max_wait,
                    )
                if waited >= self.max_wait:
                    raise RpcUnavailable(
                        f"the RPC endpoint {self.url} did not answer for {waited:.0f} s: check that the node is "
                        "running and that --rpc names it"
                    ) from exc
                time.sleep(min(delay, max(self.max_wait - waited, 0.05)))
                delay = min(delay * 2, 5.0)
                continue
            if self._down_since is not None:
                log.warning("the RPC endpoint %s answers again (down for %.1f s)", self.url,
                            time.monotonic() - self._down_since)
                self._down_since = None
            return response


class Chain:
    """One JSON-RPC endpoint."""

    def __init__(self, url: str, *, max_wait: float = 120.0, request_timeout: float = 30.0) -> None:
        self.url = url
        self.provider = RetryingHTTPProvider(url, max_wait=max_wait, request_timeout=request_timeout)
        self.w3 = Web3(self.provider)
        self._chain_id: int | None = None

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def timestamp(self, block: BlockIdentifier = "latest") -> int:
        """A block's timestamp: chain time, which every deadline is measured in."""
        return int(self.w3.eth.get_block(block)["timestamp"])

    def rpc(self, method: str, *params: Any) -> Any:
        """A raw JSON-RPC call (development nodes' extras: ``evm_increaseTime``, ``anvil_setBalance``...)."""
        response = self.provider.make_request(RPCEndpoint(method), list(params))
        if "error" in response:
            raise Web3RPCError(f"{method}: {response['error']}")
        return response.get("result")

    def warp(self, seconds: int) -> None:
        """Development chains only: move time forward and mine a block."""
        self.rpc("evm_increaseTime", seconds)
        self.rpc("evm_mine")


def _revert_data(exc: Exception) -> bytes:
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, str) and inner.startswith("0x"):
            return bytes.fromhex(inner[2:])
    if isinstance(data, bytes | HexBytes):
        return bytes(data)
    return b""


@dataclass(frozen=True)
class JournalEntry:
    """A transaction signed for an action: every copy sent (fee bumps share the nonce) and its status."""

    key: str
    nonce: int
    raws: tuple[bytes, ...]
    hashes: tuple[str, ...]
    status: str  # "sent", "done", "failed"


class TxJournal(Protocol):
    """Where a sender records what it signs before broadcasting, so a restarted process resumes the same
    transaction (same nonce) instead of sending the action twice."""

    def journal_get(self, key: str) -> JournalEntry | None: ...

    def journal_sent(self, key: str, nonce: int, raw: bytes, tx_hash: str) -> None: ...

    def journal_status(self, key: str, status: str) -> None: ...


class Sender:
    """Sends one account's transactions (the account's key never leaves this object; nothing logs it).

    With a journal, each action has a key (``commit:3``, ``respond:7``): every signed copy is recorded
    before it is broadcast; :meth:`resume` finds a recorded transaction after a restart and waits for it
    (re-broadcasting the very same bytes), so nothing is sent twice.
    """

    def __init__(
        self,
        chain: Chain,
        account: LocalAccount,
        *,
        decoder: ErrorDecoder | None = None,
        fee_cap_wei: int | None = None,
        receipt_timeout: float = 180.0,
        bump_after: float = 30.0,
        poll: float = 0.2,
    ) -> None:
        self.chain = chain
        self.account = account
        self.decoder = decoder or ErrorDecoder(())
        self.fee_cap_wei = fee_cap_wei
        self.receipt_timeout = receipt_timeout
        self.bump_after = bump_after
        self.poll = poll
        self._nonce: int | None = None
        self.journal: TxJournal | None = None
        self._key: str | None = None

    @contextmanager
    def keyed(self, key: str) -> Iterator[Sender]:
        """Journal the transactions sent inside this block under ``key``."""
        previous, self._key = self._key, key
        try:
            yield self
        finally:
            self._key = previous

    def resume(self, key: str, label: str | None = None) -> TxReceipt | None:
        """The receipt of the journaled action ``key`` (re-broadcast and awaited if still pending); None if
        it was never sent, or its nonce was taken by another transaction (the action must be decided anew)."""
        if self.journal is None:
            return None
        entry = self.journal.journal_get(key)
        if entry is None or entry.status == "failed":
            return None
        if entry.status == "done" and self.still_mined(entry):
            return None
        hashes = [HexBytes(h) for h in entry.hashes]
        started = time.monotonic()
        while True:
            mined = self._mined(hashes)
            if mined is not None:
                self.journal.journal_status(key, "done")
                try:
                    return self._finish(mined, label or key)
                except TransactionReverted:
                    self.journal.journal_status(key, "failed")
                    raise
            if int(self.chain.w3.eth.get_transaction_count(self.account.address, "latest")) > entry.nonce:
                if self._mined(hashes) is None:  # another transaction took the nonce
                    self.journal.journal_status(key, "failed")
                    self.resync()
                    return None
                continue
            for raw in entry.raws[-1:]:
                try:
                    self.chain.w3.eth.send_raw_transaction(raw)
                except Web3RPCError as exc:
                    if "already known" not in str(exc).lower() and "nonce" not in str(exc).lower():
                        raise
            if time.monotonic() - started > self.receipt_timeout:
                raise TransactionTimeout(f"{label or key}: the journaled transaction was not mined in time")
            time.sleep(self.poll)

    @property
    def address(self) -> str:
        return str(self.account.address)

    # ------------------------------------------------------------------------------------ nonces

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = int(self.chain.w3.eth.get_transaction_count(self.account.address, "pending"))
        return self._nonce

    def resync(self) -> None:
        """Forget the local nonce; the next transaction reads it from the chain."""
        self._nonce = None

    # ------------------------------------------------------------------------------------ fees

    def _fees(self, bump: int = 0) -> tuple[int, int]:
        base = int(self.chain.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        try:
            tip = int(self.chain.w3.eth.max_priority_fee)
        except (Web3RPCError, ValueError):
            tip = 10**9
        tip = max(tip, 1)
        max_fee = 2 * base + tip
        for _ in range(bump):  # a replacement must raise both fees by at least 10%
            tip = tip * 9 // 8 + 1
            max_fee = max_fee * 9 // 8 + 1
        if self.fee_cap_wei is not None:
            if base > self.fee_cap_wei:
                raise FeeCapExceeded(
                    f"the base fee is {base} wei per gas, above your cap of {self.fee_cap_wei}: wait, or raise the cap"
                )
            max_fee = min(max_fee, self.fee_cap_wei)
            tip = min(tip, max_fee)
        return max_fee, tip

    # ------------------------------------------------------------------------------------ sending

    def transact(self, fn: ContractFunction, *, value: int = 0, what: str | None = None,
                 gas: int | None = None) -> TxReceipt:
        """Send a contract call and wait for it; a revert raises :class:`TransactionReverted` by name."""
        label = what or fn.fn_name
        params: TxParams = {"from": self.account.address, "value": value}  # type: ignore[typeddict-item]
        if gas is None:
            try:
                gas = int(fn.estimate_gas(params)) * 6 // 5 + 25_000
            except (ContractCustomError, ContractLogicError) as exc:
                raise self._reverted(label, _revert_data(exc), exc) from exc
        tx = fn.build_transaction(
            cast(TxParams, {**params, "gas": gas, "nonce": 0, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1})
        )
        return self.send_raw(tx, label)

    def send_raw(self, tx: TxParams, label: str) -> TxReceipt:
        """Sign ``tx`` with our nonce and fees, send it, replace it with bumped fees while it is stuck."""
        started = time.monotonic()
        sent: list[HexBytes] = []
        bump = 0
        while True:
            nonce = self._next_nonce()
            max_fee, tip = self._fees(bump)
            full = cast(TxParams, {**tx, "nonce": nonce, "chainId": self.chain.chain_id, "maxFeePerGas": max_fee,
                                   "maxPriorityFeePerGas": tip})
            full.pop("gasPrice", None)
            signed = self.account.sign_transaction(cast(dict[str, Any], full))
            if self.journal is not None and self._key is not None:
                self.journal.journal_sent(self._key, nonce, bytes(signed.raw_transaction), HexBytes(signed.hash).hex())
            try:
                tx_hash = self.chain.w3.eth.send_raw_transaction(signed.raw_transaction)
                sent.append(tx_hash)
            except Web3RPCError as exc:
                message = str(exc).lower()
                if "nonce too low" in message or "nonce is too low" in message:
                    mined = self._mined(sent)
                    if mined is not None:  # an earlier copy of this transaction made it
                        return self._finish(mined, label)
                    log.info("nonce %d was used meanwhile; resynchronising from the chain", nonce)
                    self.resync()
                    continue
                if "already known" not in message:
                    raise
            receipt = self._wait(sent, self.bump_after)
            if receipt is not None:
                return self._finish(receipt, label)
            if time.monotonic() - started > self.receipt_timeout:
                raise TransactionTimeout(
                    f"{label} was not mined within {self.receipt_timeout:.0f} s (last hash "
                    f"{sent[-1].hex() if sent else '-'}): the network may be congested or your fee cap too low"
                )
            bump += 1
            log.info("%s is not mined after %.0f s; replacing it with fees raised by 12.5%%", label, self.bump_after)

    def still_mined(self, entry: JournalEntry) -> bool:
        """Whether one of a journaled action's transactions is (still) in the chain."""
        return self._mined(HexBytes(h) for h in entry.hashes) is not None

    def _mined(self, hashes: Iterable[HexBytes]) -> TxReceipt | None:
        for tx_hash in hashes:
            try:
                return self.chain.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                continue
        return None

    def _wait(self, hashes: list[HexBytes], seconds: float) -> TxReceipt | None:
        deadline = time.monotonic() + seconds
        while True:
            receipt = self._mined(hashes)
            if receipt is not None or time.monotonic() > deadline:
                return receipt
            time.sleep(self.poll)

    def _finish(self, receipt: TxReceipt, label: str) -> TxReceipt:
        self._nonce = int(self.chain.w3.eth.get_transaction(receipt["transactionHash"])["nonce"]) + 1
        if self.journal is not None and self._key is not None:
            self.journal.journal_status(self._key, "done" if receipt["status"] == 1 else "failed")
        if receipt["status"] != 1:
            raise self._replay(receipt, label)
        log.debug("%s mined in block %d (gas %d)", label, receipt["blockNumber"], receipt["gasUsed"])
        return receipt

    def _replay(self, receipt: TxReceipt, label: str) -> TransactionReverted:
        """Replay a mined failure at its block to learn why it reverted."""
        tx = self.chain.w3.eth.get_transaction(receipt["transactionHash"])
        call: TxParams = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "value": tx["value"],
                          "gas": tx["gas"]}
        try:
            self.chain.w3.eth.call(call, receipt["blockNumber"] - 1)
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            return self._reverted(label, _revert_data(exc), exc)
        return TransactionReverted(label, "reverted when mined (the replay succeeds: state changed in between)", {})

    def _reverted(self, label: str, data: bytes, exc: Exception) -> TransactionReverted:
        name, args = self.decoder.decode(data)
        if name.startswith("empty") and str(exc):
            args = {"message": str(exc)}
        return TransactionReverted(label, name, args, data)


def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = 0.2) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True
