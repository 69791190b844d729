"""Poseidon over the BN254 scalar field, exactly as circomlib's ``Poseidon(n)`` template computes it.

The permutation itself comes from ``circomlibpy`` (a port of circomlibjs' ``poseidon_opt``); this module
adds the checks that keep Python from hashing something the circuits would hash differently: an arity
outside 1..16 and inputs outside the field are refused, never reduced.
"""

from __future__ import annotations

from collections.abc import Sequence

from settlefl.crypto.field import check_field_elements
from settlefl.errors import InputError

MAX_ARITY = 16

try:
    from circomlibpy.poseidon import PoseidonHash as _PoseidonHash
except ImportError as exc:  # pragma: no cover - exercised only on a broken install
    raise ImportError(
        "circomlibpy is missing. It declares Python >= 3.12 but runs on 3.11, so pip will not install it "
        "as a dependency: run `scripts/setup.sh`, or "
        "`pip install --no-deps --ignore-requires-python circomlibpy==1.0.0`."
    ) from exc

_HASHER = _PoseidonHash()


def poseidon(values: Sequence[int]) -> int:
    """Hash 1 to 16 field elements with circomlib's Poseidon; return the field element.

    >>> poseidon([1, 2])
    7853200120776062878684798364095072458815029376092732009249414926327459813530
    """
    inputs = check_field_elements(values, "poseidon input")
    if not 1 <= len(inputs) <= MAX_ARITY:
        raise InputError(f"poseidon takes 1 to {MAX_ARITY} inputs (circomlib's limit), got {len(inputs)}")
    return int(_HASHER.hash(len(inputs), inputs))
