"""The words hash binds every position, and the commitment matches an independent circomlibjs computation."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from settlefl.crypto import poseidon
from settlefl.params import BLOCK_SIZE, CHAIN_CHUNK
from settlefl.state import block_hashes, chain_block_hashes, commitment, words_hash

JS = Callable[[list[dict[str, Any]]], list[Any]]


@pytest.mark.slow
def test_changing_any_single_word_changes_the_words_hash() -> None:
    # 16 blocks: the chain spans two chunks (15 + 1), so a chunking that skipped the 16th block hash,
    # or any other position, would show up here.
    size = 16 * BLOCK_SIZE
    rng = random.Random(1)
    base = [rng.randrange(1, 2**200) for _ in range(size)]
    reference = words_hash(base)
    seen = {reference}
    for position in range(size):
        changed = list(base)
        changed[position] += 1
        digest = words_hash(changed)
        assert digest not in seen, f"position {position} is not bound by hW"
        seen.add(digest)


def test_the_chain_takes_uniform_chunks_of_15_block_hashes_padded_with_zeros() -> None:
    hashes = list(range(1, 18))  # 17 block hashes: chunks of 15 and 2 (+13 zero pads)
    h1 = poseidon([0, *hashes[:CHAIN_CHUNK]])
    expected = poseidon([h1, *hashes[CHAIN_CHUNK:], *([0] * 13)])
    assert chain_block_hashes(hashes) == expected


def test_a_words_vector_that_is_not_whole_blocks_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple of 16"):
        block_hashes([1] * 17)


@pytest.mark.slow
@pytest.mark.parametrize("blocks", [1, 3, 17])
def test_the_commitment_matches_an_independent_circomlibjs_implementation(circomlibjs: JS, blocks: int) -> None:
    rng = random.Random(blocks)
    words = [rng.randrange(2**253) for _ in range(blocks * BLOCK_SIZE)]
    header = [rng.randrange(2**250) for _ in range(6)]
    domain, r, n, total, max_units, salt = header
    [answer] = circomlibjs([{"op": "commitment", "header": [str(v) for v in header], "words": [str(w) for w in words]}])
    assert words_hash(words) == int(answer["hW"])
    assert commitment(domain, r, n, total, max_units, words_hash(words), salt) == int(answer["C"])


def test_the_commitment_refuses_header_values_outside_the_field() -> None:
    with pytest.raises(ValueError, match="salt"):
        commitment(1, 1, 1, 0, 1, 0, -5)
