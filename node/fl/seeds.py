"""Seeds derived from one job seed, so that every random choice of a run can be reproduced.

Each consumer (the validation split, the participant split, the model's initial weights, each
participant's local shuffling in each round, Shapley's permutations) gets its own stream, derived from
the job seed and a tag. Streams never overlap, and adding a participant or a round never shifts the
randomness of the others -- which a single shared generator would do.
"""

from __future__ import annotations

import zlib

import numpy as np


def derive_seed(seed: int, tag: str, *parts: int) -> int:
    """A 63-bit seed for the stream ``tag`` (e.g. ``"train"``) and integer ``parts`` (e.g. round, slot)."""
    if seed < 0 or any(p < 0 for p in parts):
        raise ValueError(f"seeds and their parts must be non-negative, got {seed} and {parts}")
    # crc32 of the tag: stable across runs (Python's hash() of a str is salted per process).
    sequence = np.random.SeedSequence([seed, zlib.crc32(tag.encode()), *parts])
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def rng(seed: int, tag: str, *parts: int) -> np.random.Generator:
    """A numpy generator on the stream :func:`derive_seed` names."""
    return np.random.default_rng(derive_seed(seed, tag, *parts))
