"""EdDSA-Poseidon: interoperable with circomlibjs, and exactly as strict as the Receipt circuit."""

from __future__ import annotations

import json
import os
import random
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from settlefl.crypto import FIELD_MODULUS, eddsa
from settlefl.crypto import babyjubjub as bjj
from settlefl.errors import BadFile

JS = Callable[[list[dict[str, Any]]], list[Any]]
RNG = random.Random(7)
#: A point of order 2 and one of order 8 (torsion points of Baby Jubjub).
ORDER_TWO = (0, FIELD_MODULUS - 1)


def _order_eight_point() -> bjj.Point:
    # Any curve point times the subgroup order l lands in the 8-torsion; keep one of order exactly 8.
    x = 1
    while True:
        x += 1
        # y^2 = (1 - a x^2) / (1 - d x^2)
        num = (1 - bjj.A * x * x) % FIELD_MODULUS
        den = (1 - bjj.D * x * x) % FIELD_MODULUS
        y2 = num * pow(den, -1, FIELD_MODULUS) % FIELD_MODULUS
        y = _sqrt(y2)
        if y is None:
            continue
        torsion = bjj.mul((x, y), bjj.SUBGROUP_ORDER)
        if bjj.mul(torsion, 4) != bjj.IDENTITY:
            return torsion


def _sqrt(value: int) -> int | None:
    # Tonelli-Shanks over the BN254 scalar field.
    p = FIELD_MODULUS
    if value == 0:
        return 0
    if pow(value, (p - 1) // 2, p) != 1:
        return None
    q, s = p - 1, 0
    while q % 2 == 0:
        q, s = q // 2, s + 1
    z = 5
    while pow(z, (p - 1) // 2, p) != p - 1:
        z += 1
    m, c, t, r = s, pow(z, q, p), pow(value, q, p), pow(value, (q + 1) // 2, p)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2, i = t2 * t2 % p, i + 1
        b = pow(c, 1 << (m - i - 1), p)
        m, c, t, r = i, b * b % p, t * b * b % p, r * b % p
    return r


def _js_verify(js: JS, key: bjj.Point, message: int, sig: eddsa.Signature) -> bool:
    request = {"op": "verify", "msg": str(message), "A": [str(key[0]), str(key[1])],
               "R8": [str(sig.r8x), str(sig.r8y)], "S": str(sig.s)}
    return bool(js([request])[0])


@pytest.mark.slow
def test_python_signatures_verify_in_circomlibjs(circomlibjs: JS) -> None:
    requests = []
    for _ in range(4):
        key = eddsa.generate_private_key()
        message = RNG.randrange(FIELD_MODULUS)
        sig = eddsa.sign(key, message)
        a = eddsa.public_key(key)
        requests.append({"op": "verify", "msg": str(message), "A": [str(a[0]), str(a[1])],
                         "R8": [str(sig.r8x), str(sig.r8y)], "S": str(sig.s)})
    assert circomlibjs(requests) == [True] * 4


@pytest.mark.slow
def test_circomlibjs_signatures_verify_in_python(circomlibjs: JS) -> None:
    messages = [RNG.randrange(FIELD_MODULUS) for _ in range(4)]
    answers = circomlibjs([{"op": "sign", "prv": os.urandom(32).hex(), "msg": str(m)} for m in messages])
    for message, answer in zip(messages, answers, strict=True):
        key = (int(answer["A"][0]), int(answer["A"][1]))
        sig = eddsa.Signature(int(answer["R8"][0]), int(answer["R8"][1]), int(answer["S"]))
        assert eddsa.verify(key, message, sig)
        assert not eddsa.verify(key, (message + 1) % FIELD_MODULUS, sig)


def test_a_signature_does_not_verify_for_another_message_or_another_key() -> None:
    key, other = eddsa.generate_private_key(), eddsa.generate_private_key()
    sig = eddsa.sign(key, 42)
    assert eddsa.verify(eddsa.public_key(key), 42, sig)
    assert not eddsa.verify(eddsa.public_key(key), 43, sig)
    assert not eddsa.verify(eddsa.public_key(other), 42, sig)


@pytest.mark.slow
def test_s_plus_the_subgroup_order_is_refused_although_the_equation_still_holds(circomlibjs: JS) -> None:
    key = eddsa.generate_private_key()
    sig = eddsa.sign(key, 99)
    malleated = eddsa.Signature(sig.r8x, sig.r8y, sig.s + bjj.SUBGROUP_ORDER)
    # The curve equation alone would accept it: (S + l) * Base8 == S * Base8.
    assert bjj.mul(bjj.BASE8, malleated.s) == bjj.mul(bjj.BASE8, sig.s)
    assert not eddsa.verify(eddsa.public_key(key), 99, malleated)
    assert not _js_verify(circomlibjs, eddsa.public_key(key), 99, malleated)


def test_an_r8_off_the_curve_is_refused() -> None:
    key = eddsa.generate_private_key()
    sig = eddsa.sign(key, 5)
    off_curve = eddsa.Signature(sig.r8x, (sig.r8y + 1) % FIELD_MODULUS, sig.s)
    assert not bjj.is_on_curve(off_curve.r8)
    assert not eddsa.verify(eddsa.public_key(key), 5, off_curve)


def test_a_public_key_off_the_curve_is_refused() -> None:
    key = eddsa.generate_private_key()
    sig = eddsa.sign(key, 5)
    ax, ay = eddsa.public_key(key)
    assert not eddsa.verify((ax, (ay + 1) % FIELD_MODULUS), 5, sig)


@pytest.mark.slow
@pytest.mark.parametrize("small", [bjj.IDENTITY, ORDER_TWO, _order_eight_point()])
def test_a_small_order_public_key_is_refused_although_circomlibjs_accepts_it(
    small: bjj.Point, circomlibjs: JS
) -> None:
    # With 8 * A = 0 the equation reads S * Base8 == R8: anyone "signs" anything for such a key.
    assert bjj.is_small_order(small)
    s = RNG.randrange(bjj.SUBGROUP_ORDER)
    r8 = bjj.mul(bjj.BASE8, s)
    forged = eddsa.Signature(r8[0], r8[1], s)
    assert _js_verify(circomlibjs, small, 12345, forged), "circomlibjs has no small-order check"
    assert not eddsa.verify(small, 12345, forged)


def test_signing_is_deterministic_and_never_reuses_a_nonce_across_messages() -> None:
    key = eddsa.generate_private_key()
    assert eddsa.sign(key, 1) == eddsa.sign(key, 1)
    nonces = {eddsa.sign(key, m).r8 for m in range(8)}
    assert len(nonces) == 8


@pytest.mark.parametrize("message", [FIELD_MODULUS, -1])
def test_messages_outside_the_field_raise_a_clear_error(message: int) -> None:
    key = eddsa.generate_private_key()
    with pytest.raises(ValueError, match="outside the BN254 scalar field"):
        eddsa.sign(key, message)
    with pytest.raises(ValueError, match="outside the BN254 scalar field"):
        eddsa.verify(eddsa.public_key(key), message, eddsa.Signature(0, 1, 0))


def test_point_arithmetic_refuses_points_off_the_curve() -> None:
    with pytest.raises(ValueError, match="not on the Baby Jubjub curve"):
        bjj.mul((1, 1), 3)


def test_private_keys_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        eddsa.public_key(b"short")


def test_the_key_file_is_created_readable_only_by_its_owner_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "aggregator.json"
    key = eddsa.generate_private_key()
    eddsa.save_private_key(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert eddsa.load_private_key(path) == key


def test_a_key_file_is_never_written_into_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "aggregator.json"
    with pytest.raises(BadFile, match="directory does not exist; create it first"):
        eddsa.generate_key_file(path)
    assert not path.parent.exists()


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "aggregator.json"
    eddsa.generate_key_file(path)
    before = path.read_bytes()
    with pytest.raises(BadFile, match="never overwritten"):
        eddsa.generate_key_file(path)
    assert path.read_bytes() == before


def test_a_key_file_readable_by_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "aggregator.json"
    eddsa.generate_key_file(path)
    path.chmod(0o644)
    with pytest.raises(BadFile, match="chmod 600"):
        eddsa.load_private_key(path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda good: [good], "holds a JSON list, not an object"),
        (lambda good: {**good, "format": "something else"}, "format is 'something else'"),
        (lambda good: {**good, "private_key": "zz"}, "'private_key' must be 32 bytes of hex"),
        (lambda good: {**good, "private_key": None}, "'private_key' must be 32 bytes of hex"),
        (lambda good: {**good, "public_key": None}, "'public_key' must be a list of two decimal coordinates"),
        (lambda good: {**good, "public_key": ["12", "x1"]}, "'public_key' must be a list of two decimal"),
        (lambda good: {**good, "public_key": ["1", "2"]}, "does not match the private key"),
    ],
    ids=["list", "format", "bad-hex", "null-key", "null-public-key", "non-numeric", "other-public-key"],
)
def test_a_damaged_key_file_is_refused_in_one_line_naming_the_file_and_the_field(
    tmp_path: Path, damage: Callable[[dict[str, Any]], Any], message: str
) -> None:
    path = tmp_path / "aggregator.json"
    eddsa.generate_key_file(path)
    path.write_text(json.dumps(damage(json.loads(path.read_text()))))
    with pytest.raises(BadFile, match=message) as refused:
        eddsa.load_private_key(path)
    assert str(refused.value).startswith(f"{path}: ") and "\n" not in str(refused.value)
