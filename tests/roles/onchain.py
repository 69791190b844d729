"""What the final chain says, for tests that must show an action happened exactly once and every wei moved.

* :func:`calls`: the transactions of the canonical chain that call one SettleFL function (decoded from
  their calldata, so a reverted or duplicated call counts too);
* :class:`Balances`: each account's net flow since a block, gas added back, so a test asserts exact
  amounts (``net == expected``) without guessing fees;
* :func:`mining_paused`: anvil without automine (a sent transaction waits in the pool), restored after;
* :func:`assert_sound`: the auditor's verdict on a settled job.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address
from hexbytes import HexBytes

from settlefl.audit.auditor import audit
from settlefl.audit.report import Verdict
from settlefl.chain.client import Chain
from settlefl.chain.contract import SettleFL
from tests.circuits.conftest import COMMITTED_BUILD
from tests.roles.conftest import FUNDS


@dataclass(frozen=True)
class Call:
    tx_hash: str
    block: int
    sender: str
    nonce: int
    args: dict[str, Any]
    ok: bool


def transactions(chain: Chain, since: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(block number, transaction)`` of every transaction in canonical blocks ``since..head``."""
    for number in range(since, chain.block_number() + 1):
        block: Any = chain.w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            yield number, dict(tx)


def calls(chain: Chain, settle: SettleFL, function: str, since: int) -> list[Call]:
    """Every transaction to ``settle`` calling ``function`` in canonical blocks ``since..head``."""
    out = []
    for number, tx in transactions(chain, since):
        if str(tx.get("to") or "").lower() != settle.address.lower():
            continue
        fn, args = settle.interface.decode_function_input(tx["input"])
        if fn.fn_name != function:
            continue
        receipt = chain.w3.eth.get_transaction_receipt(tx["hash"])
        out.append(Call(HexBytes(tx["hash"]).hex(), number, str(tx["from"]), int(tx["nonce"]), dict(args),
                        receipt["status"] == 1))
    return out


class Balances:
    """Net flows of test accounts (each funded with ``FUNDS`` when made) since ``since``, gas added back."""

    def __init__(self, chain: Chain, since: int) -> None:
        self.chain = chain
        self.since = since

    def gas(self, address: str) -> int:
        spent = 0
        for _, tx in transactions(self.chain, self.since):
            if str(tx["from"]).lower() == address.lower():
                receipt = self.chain.w3.eth.get_transaction_receipt(tx["hash"])
                spent += int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
        return spent

    def net(self, address: str) -> int:
        """What ``address`` received minus what it paid, fees excluded (it started with ``FUNDS``)."""
        return int(self.chain.w3.eth.get_balance(to_checksum_address(address))) - FUNDS + self.gas(address)


@contextmanager
def mining_paused(chain: Chain) -> Iterator[None]:
    """No automine: transactions wait in the pool until a block is mined (``evm_mine``, interval mining)."""
    chain.rpc("evm_setAutomine", False)
    try:
        yield
    finally:
        chain.rpc("evm_setAutomine", True)


def assert_sound(chain: Chain, settle: SettleFL, job_id: bytes) -> None:
    report = audit(chain, settle.address, job_id, [COMMITTED_BUILD])
    assert report.verdict is Verdict.SOUND, report.reasons
