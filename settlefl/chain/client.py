"""A chain connection that survives a flaky endpoint, and a transaction sender that gets things mined.

* :class:`Chain` wraps web3 over HTTP. Every RPC call retries connection failures with exponential
  backoff for up to ``max_wait`` seconds, logging once that the endpoint is down (and once that it is
  back); past that it raises :class:`RpcUnavailable` naming the endpoint.
* :class:`Sender` sends an account's transactions: its own nonce (resynchronised from the chain after
  "nonce too low"), EIP-1559 fees under a user cap, receipts awaited with a timeout, a stuck transaction
  replaced with bumped fees, and every revert decoded into the contract's custom error before anything is
  sent (gas estimation replays the call) or after (a mined failure is replayed at its block). With a
  journal, every signed copy is recorded before it is broadcast: a restarted process resumes the very
  same transaction (:meth:`Sender.resume`), and after a chain reorganisation :meth:`Sender.recover` puts
  back the journaled transactions the reorganisation removed, in nonce order, as the same signed bytes.
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
                delay = min(delay * 2, 2.0)  # a role notices within 2 s that the endpoint is back
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

    def journal_entries(self) -> list[JournalEntry]:
        """Every entry, oldest update first."""
        ...


def _already_known(message: str) -> bool:
    """Whether a node refused a transaction because it already holds it (geth, anvil, besu, nethermind)."""
    message = message.lower()
    return any(s in message for s in ("already known", "already imported", "known transaction", "alreadyknown"))


def _nonce_too_low(message: str) -> bool:
    message = message.lower()
    return "nonce too low" in message or "nonce is too low" in message


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
            self._rebroadcast(entry.raws[-1])
            if time.monotonic() - started > self.receipt_timeout:
                raise TransactionTimeout(f"{label or key}: the journaled transaction was not mined in time")
            time.sleep(self.poll)

    def _rebroadcast(self, raw: bytes) -> None:
        """Send already-signed bytes again; a node that holds them, or has mined them, is fine."""
        try:
            self.chain.w3.eth.send_raw_transaction(raw)
        except Web3RPCError as exc:
            if not (_already_known(str(exc)) or _nonce_too_low(str(exc))):
                raise

    def recover(self) -> list[str]:
        """After a chain reorganisation: put back every journaled transaction of this account that is no
        longer in the chain, and forget the local nonce.

        A transaction whose nonce is at or above the account's count in the (new) canonical chain cannot be
        mined there: the reorganisation removed it (or it never was mined). Each is re-broadcast as the very
        same signed bytes (the action keeps its nonce: it can never happen twice), in nonce order, so that
        none waits forever behind a gap the reorganisation left. Its journal entry goes back to ``sent``:
        the role that decides the action again resumes it (:meth:`resume`) instead of sending anew.
        Returns the keys re-broadcast.
        """
        self.resync()
        if self.journal is None:
            return []
        latest = int(self.chain.w3.eth.get_transaction_count(self.account.address, "latest"))
        newest: dict[int, JournalEntry] = {}
        for entry in self.journal.journal_entries():  # oldest update first: the newest entry of a nonce wins
            if entry.status != "failed" and entry.nonce >= latest:
                newest[entry.nonce] = entry
        resent = []
        for nonce in sorted(newest):
            entry = newest[nonce]
            try:
                self._rebroadcast(entry.raws[-1])
            except Web3RPCError as exc:  # e.g. the new chain left too little ETH: the next decision sees it
                log.warning("could not re-broadcast %s (nonce %d) after a reorganisation: %s", entry.key, nonce, exc)
                continue
            self.journal.journal_status(entry.key, "sent")
            resent.append(entry.key)
        if resent:
            log.warning("a chain reorganisation removed %d transaction(s) of %s; the same signed transactions "
                        "were sent again: %s", len(resent), self.address, ", ".join(resent))
        return resent

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

    def _market_fees(self) -> tuple[int, int, int]:
        """``(base fee, max fee, tip)`` the network asks for now, before the user's cap."""
        base = int(self.chain.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        try:
            tip = int(self.chain.w3.eth.max_priority_fee)
        except (Web3RPCError, ValueError):
            tip = 10**9
        tip = max(tip, 1)
        return base, 2 * base + tip, tip

    def _fees(self) -> tuple[int, int]:
        """``(maxFeePerGas, maxPriorityFeePerGas)`` for a new transaction, under the user's cap."""
        base, max_fee, tip = self._market_fees()
        if self.fee_cap_wei is not None:
            if base > self.fee_cap_wei:
                raise FeeCapExceeded(
                    f"the base fee is {base} wei per gas, above your cap of {self.fee_cap_wei}: nothing was sent; "
                    "wait for cheaper blocks, or raise the cap"
                )
            max_fee = min(max_fee, self.fee_cap_wei)
            tip = min(tip, max_fee)
        return max_fee, tip

    def _bumped(self, previous: tuple[int, int]) -> tuple[int, int] | None:
        """Fees for a replacement of a copy sent with ``previous`` fees: both raised by 12.5% (nodes want at
        least 10%), or today's if higher; None when the user's cap leaves no room for a valid replacement."""
        _, max_fee, tip = self._market_fees()
        max_fee = max(max_fee, previous[0] * 9 // 8 + 1)
        tip = max(tip, previous[1] * 9 // 8 + 1)
        if self.fee_cap_wei is not None:
            max_fee = min(max_fee, self.fee_cap_wei)
            tip = min(tip, max_fee)
        if max_fee * 10 < previous[0] * 11 or tip * 10 < previous[1] * 11:
            return None
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
        """Sign ``tx`` with our nonce and fees, send it, replace it with bumped fees while it is stuck.

        Every copy shares the nonce, so at most one of them is ever mined. "nonce too low" means another
        sender used this account: unless a copy of ours was mined, the nonce is read from the chain again.
        """
        started = time.monotonic()
        sent: list[HexBytes] = []
        in_flight: tuple[int, int] | None = None  # the fees of the newest copy sent, None before the first
        nonce = self._next_nonce()
        capped = False
        while True:
            if in_flight is None:
                fees: tuple[int, int] | None = self._fees()  # may refuse (FeeCapExceeded) before anything is sent
            else:
                fees = self._bumped(in_flight)
                if fees is None and not capped:
                    capped = True
                    log.warning("%s is not mined after %.0f s and your fee cap of %s wei per gas leaves no room to "
                                "replace it with higher fees; still waiting for it", label, self.bump_after,
                                self.fee_cap_wei)
            if fees is not None:
                max_fee, tip = fees
                full = cast(TxParams, {**tx, "nonce": nonce, "chainId": self.chain.chain_id, "maxFeePerGas": max_fee,
                                       "maxPriorityFeePerGas": tip})
                full.pop("gasPrice", None)
                signed = self.account.sign_transaction(cast(dict[str, Any], full))
                if self.journal is not None and self._key is not None:
                    self.journal.journal_sent(self._key, nonce, bytes(signed.raw_transaction),
                                              HexBytes(signed.hash).hex())
                try:
                    sent.append(self.chain.w3.eth.send_raw_transaction(signed.raw_transaction))
                    in_flight = fees
                except Web3RPCError as exc:
                    if _nonce_too_low(str(exc)):
                        # A copy of ours may hold the nonce: an earlier one, or this very one when the request
                        # reached the node but its answer was lost and the provider retried it.
                        mined = self._mined([*sent, HexBytes(signed.hash)])
                        if mined is not None:
                            return self._finish(mined, label)
                        log.info("nonce %d of %s was used by another transaction; resynchronising from the chain",
                                 nonce, self.address)
                        self.resync()
                        nonce, in_flight, sent = self._next_nonce(), None, []
                        continue
                    if _already_known(str(exc)):
                        sent.append(HexBytes(signed.hash))
                        in_flight = fees
                    elif in_flight is None:
                        raise
                    else:  # a replacement the node refuses (underpriced): the copy in flight still counts
                        log.info("the node refused a replacement of %s (%s); waiting for the copy in flight", label,
                                 exc)
            receipt = self._wait(sent, self.bump_after)
            if receipt is not None:
                return self._finish(receipt, label)
            if time.monotonic() - started > self.receipt_timeout:
                raise TransactionTimeout(f"{label} was not mined within {self.receipt_timeout:.0f} s (nonce {nonce}, "
                                         f"last hash {sent[-1].hex() if sent else '-'}): {self._stuck_reason(nonce)}")
            if fees is not None:
                log.info("%s is not mined after %.0f s; replacing it with higher fees", label, self.bump_after)

    def _stuck_reason(self, nonce: int) -> str:
        pending = int(self.chain.w3.eth.get_transaction_count(self.account.address, "pending"))
        if pending < nonce:
            return (f"the node knows only {pending} transactions of {self.address}, so nonce {nonce} cannot be mined "
                    "(a reorganisation or a node restart dropped earlier ones); restart the role: it resumes from its "
                    "journal")
        return "the network may be congested, or your fee cap too low"

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
