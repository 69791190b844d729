"""The BN254 scalar field, the field every circuit signal and every Poseidon input lives in.

Values cross three systems (Python, circom, Solidity). A value outside the field would be silently
reduced by one of them and not by another, so every public entry point checks its inputs instead of
reducing them.
"""

from __future__ import annotations

from collections.abc import Iterable

from settlefl.errors import InputError

#: The BN254 (alt_bn128) scalar field modulus: circom's ``p``, snarkjs' ``r``, Solidity's ``Fr``.
FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617


def check_field_element(value: int, name: str = "value") -> int:
    """Return ``value`` unchanged if it is an integer in ``[0, p)``; raise ``InputError`` otherwise.

    ``bool`` is refused on purpose: ``True`` is an ``int`` in Python, and a flag passed where a field
    element belongs is always a bug.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be an integer field element, got {type(value).__name__}")
    if not 0 <= value < FIELD_MODULUS:
        raise InputError(f"{name} = {value} is outside the BN254 scalar field [0, p)")
    return value


def check_field_elements(values: Iterable[int], name: str = "values") -> list[int]:
    """Check every element of ``values`` with :func:`check_field_element`; return them as a list."""
    return [check_field_element(v, f"{name}[{i}]") for i, v in enumerate(values)]

