"""EdDSA-Poseidon on Baby Jubjub: the aggregator's receipt signatures.

The verifier here is exactly the project's ``Receipt`` circuit relation, so that a participant never
accepts a receipt it could not later prove (docs/threats.md, "Poisoned receipts"):

* ``S`` below the subgroup order ``l`` (never reduced: ``S + l`` is a different, refused signature);
* ``A`` and ``R8`` on the curve (the circuit adds these checks, circomlib's verifier has none);
* ``A`` not of small order;
* circomlib's cofactorless equation ``S * Base8 == R8 + (8 * h) * A`` with
  ``h = Poseidon(R8x, R8y, Ax, Ay, M)``.

Signing follows circomlibjs' key layout (``A = (s >> 3) * Base8`` for the pruned scalar ``s``, and
``S = r + h * s mod l``), but derives the scalar and the nonce with SHA-512 because ``hashlib`` has no
BLAKE-512: a Python key and a circomlibjs key made from the same seed differ, while signatures verify
either way. Nonces are deterministic 512-bit hashes of the key prefix and the message (as in Ed25519),
so signing never depends on a random source and two messages never share a nonce.

Keys come only from the OS random source (:func:`generate_private_key`) and are stored in a file only
its owner can read. Never derive one from an Ethereum key: the receipt key must stay independent of
the account that holds the money.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from settlefl.crypto import babyjubjub as bjj
from settlefl.crypto.field import check_field_element
from settlefl.crypto.poseidon import poseidon
from settlefl.errors import BadFile, InputError, describe_os_error
from settlefl.files import read_json, require_file

PRIVATE_KEY_BYTES = 32
KEY_FILE_FORMAT = "settlefl.eddsa-poseidon.babyjubjub.v1"


@dataclass(frozen=True)
class Signature:
    """An EdDSA-Poseidon signature: the nonce point ``R8`` and the scalar ``S``."""

    r8x: int
    r8y: int
    s: int

    @property
    def r8(self) -> bjj.Point:
        return (self.r8x, self.r8y)


def generate_private_key() -> bytes:
    """Return 32 fresh bytes from the OS random source."""
    return secrets.token_bytes(PRIVATE_KEY_BYTES)


def _check_private_key(private_key: bytes) -> bytes:
    if not isinstance(private_key, bytes | bytearray) or len(private_key) != PRIVATE_KEY_BYTES:
        raise InputError(f"an EdDSA private key is exactly {PRIVATE_KEY_BYTES} bytes")
    return bytes(private_key)


def _expand(private_key: bytes) -> tuple[int, bytes]:
    """Return the pruned secret scalar ``s`` (a multiple of 8) and the 32-byte nonce prefix."""
    digest = hashlib.sha512(_check_private_key(private_key)).digest()
    head = bytearray(digest[:32])
    head[0] &= 0xF8
    head[31] &= 0x7F
    head[31] |= 0x40
    return int.from_bytes(head, "little"), digest[32:]


def public_key(private_key: bytes) -> bjj.Point:
    """The public key ``A = (s >> 3) * Base8`` of a private key."""
    scalar, _ = _expand(private_key)
    return bjj.mul(bjj.BASE8, scalar >> 3)


def public_key_hash(key: bjj.Point) -> int:
    """``Poseidon(Ax, Ay)``: the ``pubHash`` a job stores on chain and the Receipt circuit opens."""
    ax, ay = bjj.check_point(key, "public key")
    return poseidon([ax, ay])


def _challenge(r8: bjj.Point, key: bjj.Point, message: int) -> int:
    return poseidon([r8[0], r8[1], key[0], key[1], message])


def sign(private_key: bytes, message: int) -> Signature:
    """Sign a field element (a commitment) with a deterministic 512-bit nonce."""
    check_field_element(message, "message")
    scalar, prefix = _expand(private_key)
    key = bjj.mul(bjj.BASE8, scalar >> 3)
    nonce = int.from_bytes(hashlib.sha512(prefix + message.to_bytes(32, "little")).digest(), "little")
    nonce %= bjj.SUBGROUP_ORDER
    r8 = bjj.mul(bjj.BASE8, nonce)
    h = _challenge(r8, key, message)
    return Signature(r8x=r8[0], r8y=r8[1], s=(nonce + h * scalar) % bjj.SUBGROUP_ORDER)


def verify(key: bjj.Point, message: int, signature: Signature) -> bool:
    """Return True exactly when the Receipt circuit would accept ``signature`` by ``key`` on ``message``.

    Raises ``ValueError`` only for inputs that cannot be circuit inputs at all (not field elements);
    everything representable but invalid (off-curve points, ``S >= l``, a small-order key, a wrong
    equation) returns False.
    """
    check_field_element(message, "message")
    ax = check_field_element(key[0], "public key x")
    ay = check_field_element(key[1], "public key y")
    r8x = check_field_element(signature.r8x, "signature R8x")
    r8y = check_field_element(signature.r8y, "signature R8y")
    s = check_field_element(signature.s, "signature S")
    if s >= bjj.SUBGROUP_ORDER:
        return False
    if not bjj.is_on_curve((ax, ay)) or not bjj.is_on_curve((r8x, r8y)):
        return False
    if bjj.is_small_order((ax, ay)):
        return False
    h = _challenge((r8x, r8y), (ax, ay), message)
    left = bjj.mul(bjj.BASE8, s)
    right = bjj.add((r8x, r8y), bjj.mul((ax, ay), 8 * h))
    return left == right


def save_private_key(path: Path, private_key: bytes) -> None:
    """Write a new key file readable only by its owner (mode 0600); never overwrite an existing one.

    The directory must exist: creating directories for a secret is a decision for the user (a typo in
    the path would otherwise put the key somewhere nobody looks).
    """
    key = _check_private_key(private_key)
    ax, ay = public_key(key)
    body = {
        "format": KEY_FILE_FORMAT,
        "private_key": key.hex(),
        "public_key": [str(ax), str(ay)],
    }
    path = Path(path)
    if not path.parent.is_dir():
        raise BadFile(path.parent, "the key file's directory does not exist", "create it first, or choose another path")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BadFile(path, "a file exists there", "choose another path: a signing key is never overwritten") from None
    except OSError as exc:
        raise BadFile(path, f"cannot create the key file ({describe_os_error(exc)})", "choose another path") from None
    with os.fdopen(fd, "w") as handle:
        json.dump(body, handle, indent=2)
        handle.write("\n")


#: What to do about a damaged key file: keys cannot be recovered from anything else.
_RESTORE = "restore it from your backup (a lost key cannot be recomputed) or make a new one with `settlefl keygen`"


def load_private_key(path: Path) -> bytes:
    """Read a key file written by :func:`save_private_key`, refusing one others can read.

    Every problem is a :class:`BadFile` naming the path and the field: the file is hand-editable JSON,
    so a wrong type anywhere must not surface as a bare ``TypeError``.
    """
    path = require_file(Path(path), "the key file", "pass the path of a key file made by `settlefl keygen`")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BadFile(
            path, f"the key file is readable by other users (mode {stat.S_IMODE(mode):o})", f"run `chmod 600 {path}`"
        )
    body = read_json(path, "the key file", _RESTORE)
    if not isinstance(body, dict):
        raise BadFile(path, f"the key file holds a JSON {type(body).__name__}, not an object", _RESTORE)
    if body.get("format") != KEY_FILE_FORMAT:
        raise BadFile(path, f"the key file's format is {body.get('format')!r}, not {KEY_FILE_FORMAT!r}", _RESTORE)
    raw = body.get("private_key")
    try:
        key = _check_private_key(bytes.fromhex(raw)) if isinstance(raw, str) else None
    except ValueError:
        key = None
    if key is None:
        raise BadFile(path, f"'private_key' must be {PRIVATE_KEY_BYTES} bytes of hex", _RESTORE)
    if "public_key" in body:
        stored = body["public_key"]
        if not (isinstance(stored, list) and len(stored) == 2 and all(_is_decimal(v) for v in stored)):
            raise BadFile(path, "'public_key' must be a list of two decimal coordinates", _RESTORE)
        if (int(stored[0]), int(stored[1])) != public_key(key):
            raise BadFile(path, "the stored public key does not match the private key", _RESTORE)
    return key


def _is_decimal(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdecimal()


def generate_key_file(path: Path) -> bjj.Point:
    """Create a key file with a fresh key from the OS random source; return its public key."""
    key = generate_private_key()
    save_private_key(path, key)
    return public_key(key)
