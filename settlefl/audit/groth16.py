"""A Groth16 (BN254) verifier that shares no code with the provers: py-ecc's pairing, snarkjs keys.

An auditor must not trust the software whose output it audits. The provers check their own proofs with
groth16py (arkworks), and the contract with snarkjs' Solidity verifiers; this module checks the same
equation a third way, on py-ecc's ``optimized_bn128`` pairing, so a bug (or a backdoor) in either of the
others does not carry over:

    e(A, B) == e(alpha, beta) * e(vk_x, gamma) * e(C, delta),    vk_x = IC_0 + sum_i s_i * IC_i

It refuses, before any pairing, everything the EVM's precompiles and snarkjs' verifier refuse: a public
input at or above the scalar field order ``r`` (it would alias ``s - r``), a coordinate at or above the base
field order ``q``, a point off its curve, a G2 point outside the order-``r`` subgroup (BN254's G2 has a
huge cofactor; G1's is 1, so on the curve means in the group), and the wrong number of public inputs.

snarkjs conventions: a G2 coordinate ``[c0, c1]`` is ``c0 + c1 * u`` (the Solidity verifier takes the pair
swapped; :class:`~settlefl.circuits.prover.Groth16Proof` holds it in snarkjs order). ``(0, 0)`` is the
point at infinity, as for the precompiles.

Cost (measured on one core of the development machine): about 1 s per verification, three Miller loops and
one final exponentiation (``e(alpha, beta)`` is computed once per key).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from py_ecc import optimized_bn128 as bn
from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12

from settlefl.circuits.prover import Groth16Proof

#: The scalar field order (public inputs live here).
R = int(bn.curve_order)
#: The base field order (point coordinates live here).
Q = int(bn.field_modulus)

G1Point: TypeAlias = tuple[FQ, FQ, FQ]
G2Point: TypeAlias = tuple[FQ2, FQ2, FQ2]


class VerificationKeyError(ValueError):
    """A verification key file is malformed or holds a point no honest setup makes."""


@dataclass(frozen=True)
class ProofCheck:
    """The outcome of one check: ``ok``, or the reason it was refused (in words)."""

    ok: bool
    reason: str = ""
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.ok


def _int(value: Any, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not an integer: {value!r}") from exc
    return number


def _g1(x: int, y: int) -> G1Point:
    """A G1 point in projective coordinates; ``(0, 0)`` is infinity. Raises ValueError if invalid."""
    if not (0 <= x < Q and 0 <= y < Q):
        raise ValueError("a coordinate is not below the base field order q")
    if x == 0 and y == 0:
        return (FQ(1), FQ(1), FQ(0))
    point = (FQ(x), FQ(y), FQ(1))
    if not bn.is_on_curve(point, bn.b):
        raise ValueError("the point is not on the curve y^2 = x^3 + 3")
    return point


def _g2(x: tuple[int, int], y: tuple[int, int]) -> G2Point:
    """A G2 point from snarkjs coordinates ``x = x0 + x1 u``; checks the curve and the subgroup."""
    if not all(0 <= c < Q for c in (*x, *y)):
        raise ValueError("a coordinate is not below the base field order q")
    if x == (0, 0) and y == (0, 0):
        return (FQ2.one(), FQ2.one(), FQ2.zero())
    point = (FQ2([x[0], x[1]]), FQ2([y[0], y[1]]), FQ2.one())
    if not bn.is_on_curve(point, bn.b2):
        raise ValueError("the point is not on the twisted curve")
    if not bn.is_inf(bn.multiply(point, R)):
        raise ValueError("the point is on the curve but not in the order-r subgroup")
    return point


@dataclass(frozen=True)
class VerificationKey:
    """A snarkjs Groth16 verification key, its points validated."""

    alpha: G1Point
    beta: G2Point
    gamma: G2Point
    delta: G2Point
    ic: tuple[G1Point, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def n_public(self) -> int:
        return len(self.ic) - 1

    @classmethod
    def from_snarkjs(cls, data: dict[str, Any]) -> VerificationKey:
        """From the JSON object ``snarkjs zkey export verificationkey`` writes."""
        if data.get("protocol") != "groth16" or data.get("curve") not in ("bn128", "bn254"):
            raise VerificationKeyError(
                f"not a Groth16 BN254 key (protocol {data.get('protocol')!r}, curve {data.get('curve')!r})"
            )
        try:
            def g1(entry: Any, what: str) -> G1Point:
                if _int(entry[2], what) != 1:
                    raise ValueError("not in affine form (z != 1)")
                return _g1(_int(entry[0], what), _int(entry[1], what))

            def g2(entry: Any, what: str) -> G2Point:
                if [_int(v, what) for v in entry[2]] != [1, 0]:
                    raise ValueError("not in affine form (z != 1)")
                return _g2((_int(entry[0][0], what), _int(entry[0][1], what)),
                           (_int(entry[1][0], what), _int(entry[1][1], what)))

            points: dict[str, Any] = {}
            for name, kind in (("vk_alpha_1", g1), ("vk_beta_2", g2), ("vk_gamma_2", g2), ("vk_delta_2", g2)):
                try:
                    points[name] = kind(data[name], name)
                except (ValueError, KeyError, IndexError, TypeError) as exc:
                    raise VerificationKeyError(f"{name}: {exc}") from exc
            ic = []
            for i, entry in enumerate(data["IC"]):
                try:
                    ic.append(g1(entry, f"IC[{i}]"))
                except (ValueError, IndexError, TypeError) as exc:
                    raise VerificationKeyError(f"IC[{i}]: {exc}") from exc
        except KeyError as exc:
            raise VerificationKeyError(f"the key has no {exc.args[0]}") from exc
        if "nPublic" in data and int(data["nPublic"]) != len(ic) - 1:
            raise VerificationKeyError(f"nPublic is {data['nPublic']} but IC has {len(ic)} points")
        if not ic:
            raise VerificationKeyError("the key has no IC points")
        if bn.eq(points["vk_gamma_2"], points["vk_delta_2"]):
            # a setup without any phase-2 contribution: proofs of false statements verify
            raise VerificationKeyError("gamma equals delta: the setup had no phase-2 contribution")
        return cls(points["vk_alpha_1"], points["vk_beta_2"], points["vk_gamma_2"], points["vk_delta_2"], tuple(ic),
                   dict(data))

    @classmethod
    def load(cls, path: Path) -> VerificationKey:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise VerificationKeyError(f"cannot read the verification key {path}: {exc}") from exc
        try:
            return cls.from_snarkjs(data)
        except VerificationKeyError as exc:
            raise VerificationKeyError(f"{path}: {exc}") from exc

    def solidity_constants(self) -> dict[str, int]:
        """The constants a snarkjs Solidity verifier of this key declares (its G2 pairs swapped)."""
        raw = self.raw
        out = {"alphax": int(raw["vk_alpha_1"][0]), "alphay": int(raw["vk_alpha_1"][1])}
        for name, key in (("beta", "vk_beta_2"), ("gamma", "vk_gamma_2"), ("delta", "vk_delta_2")):
            (x0, x1), (y0, y1) = ((int(a), int(b)) for a, b in raw[key][:2])
            out |= {f"{name}x1": x1, f"{name}x2": x0, f"{name}y1": y1, f"{name}y2": y0}
        for i, point in enumerate(raw["IC"]):
            out |= {f"IC{i}x": int(point[0]), f"IC{i}y": int(point[1])}
        return out


_CONSTANT = re.compile(r"uint256\s+constant\s+(\w+)\s*=\s*(\d+)\s*;")


def key_matches_solidity(vk: VerificationKey, source: str) -> list[str]:
    """The names of the constants where a snarkjs Solidity verifier's source differs from ``vk`` (empty:
    the same key). Ties the code compiled from ``source`` to the key this module verifies with."""
    declared = {name: int(value) for name, value in _CONSTANT.findall(source)}
    expected = vk.solidity_constants()
    extra_ic = sorted(n for n in declared if re.fullmatch(r"IC\d+[xy]", n) and n not in expected)
    return [name for name, value in expected.items() if declared.get(name) != value] + extra_ic


class Groth16Verifier:
    """Verifies proofs against one key. ``e(alpha, beta)`` is computed on first use and kept."""

    def __init__(self, vk: VerificationKey) -> None:
        self.vk = vk
        self._alpha_beta: FQ12 | None = None

    def _checked_proof(self, proof: Groth16Proof) -> tuple[G1Point, G2Point, G1Point]:
        try:
            a = _g1(*proof.a)
        except ValueError as exc:
            raise ValueError(f"A is invalid: {exc}") from exc
        try:
            b = _g2(proof.b[0], proof.b[1])
        except ValueError as exc:
            raise ValueError(f"B is invalid: {exc}") from exc
        try:
            c = _g1(*proof.c)
        except ValueError as exc:
            raise ValueError(f"C is invalid: {exc}") from exc
        return a, b, c

    def check(self, proof: Groth16Proof, public_inputs: list[int] | tuple[int, ...]) -> ProofCheck:
        """Check ``proof`` of ``public_inputs`` (verifier order); the verdict says why it was refused."""
        started = time.perf_counter()
        inputs = list(public_inputs)
        if len(inputs) != self.vk.n_public:
            return ProofCheck(False, f"{len(inputs)} public inputs given, the key takes {self.vk.n_public}")
        for i, s in enumerate(inputs):
            if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < R:
                return ProofCheck(False, f"public input {i} is not an element of the scalar field (0 <= s < r)")
        try:
            a, b, c = self._checked_proof(proof)
        except ValueError as exc:
            return ProofCheck(False, str(exc))
        vk_x = self.vk.ic[0]
        for s, point in zip(inputs, self.vk.ic[1:], strict=True):
            if s:
                vk_x = bn.add(vk_x, bn.multiply(point, s))
        if self._alpha_beta is None:
            self._alpha_beta = bn.final_exponentiate(bn.pairing(self.vk.beta, self.vk.alpha, final_exponentiate=False))
        # e(-A, B) * e(vk_x, gamma) * e(C, delta) * e(alpha, beta) == 1, with one final exponentiation
        # for the three Miller loops that depend on the proof.
        product = bn.pairing(b, bn.neg(a), final_exponentiate=False)
        product = product * bn.pairing(self.vk.gamma, vk_x, final_exponentiate=False)
        product = product * bn.pairing(self.vk.delta, c, final_exponentiate=False)
        ok = bn.final_exponentiate(product) * self._alpha_beta == FQ12.one()
        seconds = time.perf_counter() - started
        return ProofCheck(ok, "" if ok else "the pairing equation does not hold", seconds)

    def verify(self, proof: Groth16Proof, public_inputs: list[int] | tuple[int, ...]) -> bool:
        return self.check(proof, public_inputs).ok


def proof_from_solidity(a: Any, b: Any, c: Any) -> Groth16Proof:
    """A proof from the contract's ``Proof`` calldata struct (``b``'s Fp2 pairs in Solidity order)."""
    return Groth16Proof(
        (int(a[0]), int(a[1])),
        ((int(b[0][1]), int(b[0][0])), (int(b[1][1]), int(b[1][0]))),
        (int(c[0]), int(c[1])),
    )
