"""Poseidon must equal circomlib's for every arity the circuits use, and refuse what they cannot hash."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from settlefl.crypto import FIELD_MODULUS, poseidon


def test_poseidon_of_one_and_two_is_the_published_circomlib_value() -> None:
    assert poseidon([1, 2]) == 7853200120776062878684798364095072458815029376092732009249414926327459813530


@pytest.mark.slow
def test_poseidon_matches_circomlibjs_for_every_arity_from_1_to_16(
    circomlibjs: Callable[[list[dict[str, Any]]], list[Any]],
) -> None:
    rng = random.Random(20261127)
    cases = []
    for arity in range(1, 17):
        cases.append([rng.randrange(FIELD_MODULUS) for _ in range(arity)])
        cases.append([FIELD_MODULUS - 1 - rng.randrange(4) for _ in range(arity)])  # near the modulus
        cases.append([0] * arity)
    answers = circomlibjs([{"op": "poseidon", "inputs": [str(v) for v in case]} for case in cases])
    for case, expected in zip(cases, answers, strict=True):
        assert poseidon(case) == int(expected), f"arity {len(case)}"


@pytest.mark.parametrize("inputs", [[], list(range(17))])
def test_poseidon_refuses_an_arity_outside_1_to_16(inputs: list[int]) -> None:
    with pytest.raises(ValueError, match="1 to 16 inputs"):
        poseidon(inputs)


@pytest.mark.parametrize("bad", [FIELD_MODULUS, FIELD_MODULUS + 1, -1, 2**256])
def test_poseidon_refuses_inputs_outside_the_field_instead_of_reducing_them(bad: int) -> None:
    with pytest.raises(ValueError, match="outside the BN254 scalar field"):
        poseidon([1, bad])


@pytest.mark.parametrize("bad", [True, 1.0, "1", None])
def test_poseidon_refuses_values_that_are_not_integers(bad: object) -> None:
    with pytest.raises(ValueError, match="integer field element"):
        poseidon([bad])  # type: ignore[list-item]
