"""Public-input compression, computed exactly as the contract computes it (docs/protocol.md, "Public-input
compression"; the full soundness argument in docs/circuits.md).

Each Groth16 public input costs about 6.6k gas, so the Opening and Payout verifiers see only three field
elements, ``C, x, y``. The header fields they no longer see and the words travel as calldata, as one
vector ``V`` (Opening: ``[domain, r, n, total, maxUnits, salt, words...]``; Payout: ``[domain, r, n, total,
batch, words...]``). The contract derives a random point

    x = keccak256(abi.encode(TAG, chainId, contract, jobId, msg.sender, C, <header in V order>, words)) mod p

after ``V`` is fixed and ``y = sum_k V[k] * x^k mod p`` (Horner's rule); the circuit evaluates the same
polynomial over its private header and words. ``C`` is public and a witness must open it, so the
prover's vector is fixed before ``x``: a different one matches with probability below ``|V| / p``
(docs/circuits.md, "Fewer public inputs"). This is sound only where the committed vector is fixed
before ``x`` (Opening, Payout), never for Transition. ``msg.sender`` inside ``x`` binds the proof to its
submitter for free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from settlefl.crypto.field import FIELD_MODULUS
from settlefl.errors import InputError
from settlefl.params import WORD_BITS

# v2: the header moved into V. A new tag, so no v1 (x, y) can ever be read as a v2 one.
TAG_OPENING = keccak(text="SettleFL.opening.v2")
TAG_PAYOUT = keccak(text="SettleFL.payout.v2")


class CompressionError(InputError):
    """The vector cannot be compressed (a word or header value out of range, or the negligible x = 0)."""


@dataclass(frozen=True)
class Challenge:
    """The compressed pair the verifier sees."""

    x: int
    y: int


def evaluate(coefficients: Sequence[int], x: int) -> int:
    """``sum_k coefficients[k] * x^k mod p`` by Horner's rule."""
    y = 0
    for coefficient in reversed(coefficients):
        y = (y * x + coefficient) % FIELD_MODULUS
    return y


def _check_words(words: Sequence[int]) -> list[int]:
    out = []
    for k, word in enumerate(words):
        if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word < (1 << WORD_BITS):
            raise CompressionError(f"word {k} = {word!r} is not in [0, 2^{WORD_BITS}) (the contract refuses it)")
        out.append(word)
    return out


def _check_header(header: Sequence[tuple[str, int]]) -> list[int]:
    """Every header value must be a field element: one at or above ``p`` would enter ``x`` as itself but
    ``y`` (and the circuit) reduced, so two calldata values would share one proof."""
    out = []
    for name, value in header:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < FIELD_MODULUS:
            raise CompressionError(f"{name} = {value!r} is not a field element (the contract refuses it)")
        out.append(value)
    return out


_HEAD = ["bytes32", "uint256", "address", "bytes32", "address", "uint256"]

#: The header fields at the start of ``V``, in order, named as the circuits' private signals.
OPENING_HEADER: tuple[str, ...] = ("domain", "r", "n", "total", "maxUnits", "salt")
PAYOUT_HEADER: tuple[str, ...] = ("domain", "r", "n", "total", "batch")


def _challenge(
    tag: bytes, *, chain_id: int, contract: str, job_id: bytes, sender: str, commitment: int,
    header: Sequence[tuple[str, int]], words: Sequence[int],
) -> Challenge:
    values = _check_header(header)
    checked = _check_words(words)
    head = [tag, chain_id, to_checksum_address(contract), job_id, to_checksum_address(sender), commitment]
    types = [*_HEAD, *["uint256"] * len(values), "uint256[]"]
    digest = keccak(encode(types, [*head, *values, checked]))
    x = int.from_bytes(digest, "big") % FIELD_MODULUS
    if x == 0:  # pragma: no cover - probability 1/p
        raise CompressionError("x = 0: the contract refuses this submission; change the sender or the words")
    return Challenge(x, evaluate([*values, *checked], x))


def opening_challenge(
    *, chain_id: int, contract: str, job_id: bytes, sender: str, commitment: int, domain: int,
    round_number: int, n: int, total: int, max_units: int, salt: int, words: Sequence[int],
) -> Challenge:
    """``(x, y)`` of an Opening proof; ``words`` are the ``n`` used words, as sent in calldata."""
    values = {"domain": domain, "r": round_number, "n": n, "total": total, "maxUnits": max_units, "salt": salt}
    header = [(name, values[name]) for name in OPENING_HEADER]
    return _challenge(TAG_OPENING, chain_id=chain_id, contract=contract, job_id=job_id, sender=sender,
                      commitment=commitment, header=header, words=words)


def payout_challenge(
    *, chain_id: int, contract: str, job_id: bytes, sender: str, commitment: int, domain: int,
    round_number: int, n: int, total: int, batch: int, words: Sequence[int],
) -> Challenge:
    """``(x, y)`` of a Payout proof; ``words`` are the batch's B words (zeros included), as sent."""
    values = {"domain": domain, "r": round_number, "n": n, "total": total, "batch": batch}
    header = [(name, values[name]) for name in PAYOUT_HEADER]
    return _challenge(TAG_PAYOUT, chain_id=chain_id, contract=contract, job_id=job_id, sender=sender,
                      commitment=commitment, header=header, words=words)
