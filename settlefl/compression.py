"""Public-input compression, computed exactly as the contract computes it (DESIGN.md).

Each Groth16 public input costs about 6.6k gas, so a vector of words travels as calldata and the
verifier sees only two field elements: the contract derives a random point

    x = keccak256(abi.encode(TAG, chainId, contract, jobId, msg.sender, <other public inputs>, words)) mod p

after the words are fixed, and ``y = sum_k words[k] * x^k mod p`` (Horner's rule); the circuit evaluates
the same polynomial over its private words. A different vector matches with probability below N/p.
This is sound only where the committed vector is fixed before ``x`` (Opening, Payout), never for
Transition. ``msg.sender`` inside ``x`` binds the proof to its submitter for free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from settlefl.crypto.field import FIELD_MODULUS
from settlefl.params import WORD_BITS

TAG_OPENING = keccak(text="SettleFL.opening.v1")
TAG_PAYOUT = keccak(text="SettleFL.payout.v1")


class CompressionError(ValueError):
    """The words cannot be compressed (a word out of range, or the negligible x = 0)."""


@dataclass(frozen=True)
class Challenge:
    """The compressed pair the verifier sees."""

    x: int
    y: int


def evaluate(words: Sequence[int], x: int) -> int:
    """``sum_k words[k] * x^k mod p`` by Horner's rule."""
    y = 0
    for word in reversed(words):
        y = (y * x + word) % FIELD_MODULUS
    return y


def _check_words(words: Sequence[int]) -> list[int]:
    out = []
    for k, word in enumerate(words):
        if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word < (1 << WORD_BITS):
            raise CompressionError(f"word {k} = {word!r} is not in [0, 2^{WORD_BITS}) (the contract refuses it)")
        out.append(word)
    return out


def _challenge(tag: bytes, prefix: Sequence[object], prefix_types: Sequence[str], words: Sequence[int]) -> Challenge:
    checked = _check_words(words)
    digest = keccak(encode([*prefix_types, "uint256[]"], [*prefix, checked]))
    x = int.from_bytes(digest, "big") % FIELD_MODULUS
    if x == 0:  # pragma: no cover - probability 1/p
        raise CompressionError("x = 0: the contract refuses this submission; change the sender or the words")
    return Challenge(x, evaluate(checked, x))


_HEAD = ["bytes32", "uint256", "address", "bytes32", "address"]


def opening_challenge(
    *, chain_id: int, contract: str, job_id: bytes, sender: str, commitment: int, domain: int,
    round_number: int, n: int, total: int, max_units: int, salt: int, words: Sequence[int],
) -> Challenge:
    """``(x, y)`` of an Opening proof; ``words`` are the ``n`` used words, as sent in calldata."""
    head = [TAG_OPENING, chain_id, to_checksum_address(contract), job_id, to_checksum_address(sender)]
    body = [commitment, domain, round_number, n, total, max_units, salt]
    return _challenge(TAG_OPENING, [*head, *body], [*_HEAD, *["uint256"] * len(body)], words)


def payout_challenge(
    *, chain_id: int, contract: str, job_id: bytes, sender: str, commitment: int, domain: int,
    round_number: int, n: int, total: int, batch: int, words: Sequence[int],
) -> Challenge:
    """``(x, y)`` of a Payout proof; ``words`` are the batch's B words (zeros included), as sent."""
    head = [TAG_PAYOUT, chain_id, to_checksum_address(contract), job_id, to_checksum_address(sender)]
    body = [commitment, domain, round_number, n, total, batch]
    return _challenge(TAG_PAYOUT, [*head, *body], [*_HEAD, *["uint256"] * len(body)], words)
