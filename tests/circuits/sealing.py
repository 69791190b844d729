"""Re-seal raw circuit inputs with the Python reference hashes after a test tampers with them.

An attacker controls every private input, so a meaningful cheat keeps all commitments consistent with
the tampered values and breaks exactly one rule; these helpers recompute C (and y, and the signature)
from raw values, reducing into the field the way the circuit's arithmetic does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from settlefl.circuits.witness import batch_words
from settlefl.compression import OPENING_HEADER, PAYOUT_HEADER, evaluate
from settlefl.crypto import FIELD_MODULUS, eddsa
from settlefl.params import UNITS_SHIFT
from settlefl.state import block_hashes, commitment, words_hash

P = FIELD_MODULUS


def _c(domain: int, r: int, n: int, total: int, max_units: int, words: Sequence[int], salt: int) -> int:
    reduced = [w % P for w in words]
    return commitment(domain % P, r % P, n % P, total % P, max_units % P, words_hash(reduced), salt % P)


def seal_transition(inputs: dict[str, Any], *, new_domain: int | None = None, new_max_units: int | None = None,
                    new_round: int | None = None) -> dict[str, Any]:
    """Recompute C_prev and C_new from the raw previous state, rows and joins (optionally sealing the
    new state with another domain, maxUnits or round, to play those cheats). ``rs`` is left alone."""
    s = dict(inputs)
    r = s["r"]
    s["C_prev"] = _c(s["domain"], r - 1, s["nPrev"], s["totalPrev"], s["maxUnits"], s["wordsPrev"], s["saltPrev"])
    words_new = [w + a + UNITS_SHIFT * v for w, a, v in zip(s["wordsPrev"], s["addr"], s["v"], strict=True)]
    total_new = s["totalPrev"] + sum(s["v"])
    s["C_new"] = _c(
        s["domain"] if new_domain is None else new_domain,
        r if new_round is None else new_round,
        s["nNew"], total_new,
        s["maxUnits"] if new_max_units is None else new_max_units,
        words_new, s["saltNew"],
    )
    return s


def vector(inputs: Mapping[str, Any], header: Sequence[str], words: Sequence[int]) -> list[int]:
    """``V`` as the circuit evaluates it: the named header signals of ``inputs``, then ``words``."""
    return [int(inputs[name]) % P for name in header] + [w % P for w in words]


def seal_opening(inputs: dict[str, Any], *, calldata: Sequence[int] | None = None) -> dict[str, Any]:
    """Recompute C from the raw header and words, and y over the witness's own header followed by
    ``calldata`` (default: the witness's own words)."""
    s = dict(inputs)
    s["C"] = _c(s["domain"], s["r"], s["n"], s["total"], s["maxUnits"], s["words"], s["salt"])
    s["y"] = evaluate(vector(s, OPENING_HEADER, s["words"] if calldata is None else calldata), s["x"])
    return s


def seal_payout(inputs: dict[str, Any], full_words: list[int]) -> dict[str, Any]:
    """Recompute C over ``full_words`` (the whole state), the block hashes, the batch slice, and y over
    the witness's own header and batch words."""
    s = dict(inputs)
    s["words"] = batch_words(full_words, s["batch"], len(s["words"]))
    s["blockHashes"] = block_hashes([w % P for w in full_words])
    s["C"] = _c(s["domain"], s["r"], s["n"], s["total"], s["maxUnits"], full_words, s["salt"])
    s["y"] = evaluate(vector(s, PAYOUT_HEADER, s["words"]), s["x"])
    return s


def seal_receipt(inputs: dict[str, Any], key: bytes) -> dict[str, Any]:
    """Recompute C from the raw header (``r`` included) and sign it again with ``key``. ``rs`` is left
    alone."""
    s = dict(inputs)
    s["C"] = commitment(*(int(s[k]) % P for k in ("domain", "r", "n", "total", "maxUnits", "wordsHash", "salt")))
    signature = eddsa.sign(key, s["C"])
    s.update(R8x=signature.r8x, R8y=signature.r8y, S=signature.s)
    return s
