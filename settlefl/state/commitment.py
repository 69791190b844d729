"""The position-addressable words hash ``hW`` and the round commitment ``C_r``.

``hW``: blocks of 16 words are hashed with Poseidon(16); the block hashes are chained in uniform chunks,
``h_0 = 0``, ``h_k = Poseidon(h_{k-1}, next 15 block hashes)`` zero-padded, and ``hW`` is the last ``h``.
Every position feeds exactly one block and every block exactly one chain step, so changing any single
word changes ``hW`` (docs/threats.md, "Unbound positions"); a payout proof re-hashes only its own blocks and
the short chain.

``C_r = Poseidon(domain, r, n, total, maxUnits, hW, salt_r)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from settlefl.crypto.field import check_field_element
from settlefl.crypto.poseidon import poseidon
from settlefl.errors import InputError
from settlefl.params import BLOCK_SIZE, CHAIN_CHUNK


def block_hashes(words: Sequence[int]) -> list[int]:
    """Poseidon(16) of each block of 16 words; ``len(words)`` must be a multiple of 16."""
    if not words or len(words) % BLOCK_SIZE:
        raise InputError(f"the words vector has {len(words)} entries; it must be a non-empty multiple of 16")
    return [poseidon(words[i : i + BLOCK_SIZE]) for i in range(0, len(words), BLOCK_SIZE)]


def chain_block_hashes(hashes: Sequence[int]) -> int:
    """Fold block hashes into ``hW`` with uniform chunks of 15, zero-padded at the end."""
    h = 0
    for start in range(0, len(hashes), CHAIN_CHUNK):
        chunk = list(hashes[start : start + CHAIN_CHUNK])
        chunk += [0] * (CHAIN_CHUNK - len(chunk))
        h = poseidon([h, *chunk])
    return h


def words_hash(words: Sequence[int]) -> int:
    """``hW`` of a full words vector (all N slots, zeros included)."""
    return chain_block_hashes(block_hashes(words))


def commitment(
    domain: int, round_number: int, n: int, total: int, max_units: int, words_digest: int, salt: int
) -> int:
    """``C_r = Poseidon(domain, r, n, total, maxUnits, hW, salt_r)``."""
    fields = {
        "domain": domain,
        "round": round_number,
        "n": n,
        "total": total,
        "maxUnits": max_units,
        "hW": words_digest,
        "salt": salt,
    }
    return poseidon([check_field_element(v, k) for k, v in fields.items()])
