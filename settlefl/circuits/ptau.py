"""Powers of tau (Groth16 phase 1): how large a file a circuit needs, and where that file comes from.

Phase 1 is shared by every circuit up to its size. Whoever knows its toxic waste can forge every proof,
so a build records where its file came from (docs/protocol.md, "Setup"):

* ``supplied`` -- a file the user passed, ideally a public ceremony's (Perpetual Powers of Tau, as
  prepared by the Hermez ceremony); one listed in :data:`HERMEZ_BLAKE2B` is recognised by its hash;
* ``development`` -- a file made on this machine (one local contribution plus a beacon). Fine for tests
  and demos, never for real money. Such files carry contributions named ``settlefl dev ...``; so do the
  project's shared development files and every file truncated from one (``powersoftau truncate``
  copies the contributions section), so the label follows the file wherever it goes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from settlefl.circuits.toolchain import CircuitsError, Toolchain
from settlefl.errors import BadFile, describe_os_error
from settlefl.settings import settings

log = logging.getLogger(__name__)

#: The base field of BN254, as a ptau header stores it.
BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
#: Contribution names that mark a development file (made here, or by the project for development).
DEVELOPMENT_MARK = "settlefl dev"
#: Beacon iterations (2^10), as snarkjs' own examples use.
BEACON_ITERATIONS_EXP = 10

#: blake2b-512 of the prepared Hermez files (Perpetual Powers of Tau, 54 contributions and a beacon),
#: copied from the table in node_modules/snarkjs/README.md (snarkjs 0.7.6). Power 28 is the full file.
HERMEZ_BLAKE2B: dict[int, str] = {
    8: "d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5"
    "eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583",
    9: "94f108a80e81b5d932d8e8c9e8fd7f46cf32457e31462deeeef37af1b71c2c1b"
    "3c71fb0d9b59c654ec266b042735f50311f9fd1d4cadce47ab234ad163157cb5",
    10: "6cfeb8cda92453099d20120bdd0e8a5c4e7706c2da9a8f09ccc157ed2464d921"
    "fd0437fb70db42104769efd7d6f3c1f964bcf448c455eab6f6c7d863e88a5849",
    11: "47c282116b892e5ac92ca238578006e31a47e7c7e70f0baa8b687f0a5203e28e"
    "a07bbbec765a98dcd654bad618475d4661bfaec3bd9ad2ed12e7abc251d94d33",
    12: "ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd"
    "825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a",
    13: "58efc8bf2834d04768a3d7ffcd8e1e23d461561729beaac4e3e7a47829a1c906"
    "6d5320241e124a1a8e8aa6c75be0ba66f65bc8239a0542ed38e11276f6fdb4d9",
    14: "eeefbcf7c3803b523c94112023c7ff89558f9b8e0cf5d6cdcba3ade60f168af4"
    "a181c9c21774b94fbae6c90411995f7d854d02ebd93fb66043dbb06f17a831c1",
    15: "982372c867d229c236091f767e703253249a9b432c1710b4f326306bfa2428a1"
    "7b06240359606cfe4d580b10a5a1f63fbed499527069c18ae17060472969ae6e",
    16: "6a6277a2f74e1073601b4f9fed6e1e55226917efb0f0db8a07d98ab01df1ccf4"
    "3eb0e8c3159432acd4960e2f29fe84a4198501fa54c8dad9e43297453efec125",
    17: "6247a3433948b35fbfae414fa5a9355bfb45f56efa7ab4929e669264a0258976"
    "741dfbe3288bfb49828e5df02c2e633df38d2245e30162ae7e3bcca5b8b49345",
    18: "7e6a9c2e5f05179ddfc923f38f917c9e6831d16922a902b0b4758b8e79c2ab8a"
    "81bb5f29952e16ee6c5067ed044d7857b5de120a90704c1d3b637fd94b95b13e",
    19: "bca9d8b04242f175189872c42ceaa21e2951e0f0f272a0cc54fc37193ff66486"
    "00eaf1c555c70cdedfaf9fb74927de7aa1d33dc1e2a7f1a50619484989da0887",
    20: "89a66eb5590a1c94e3f1ee0e72acf49b1669e050bb5f93c73b066b564dca4e0c"
    "7556a52b323178269d64af325d8fdddb33da3a27c34409b821de82aa2bf1a27b",
    21: "9aef0573cef4ded9c4a75f148709056bf989f80dad96876aadeb6f1c6d062391"
    "f07a394a9e756d16f7eb233198d5b69407cca44594c763ab4a5b67ae73254678",
    22: "0d64f63dba1a6f11139df765cb690da69d9b2f469a1ddd0de5e4aa628abb28f7"
    "87f04c6a5fb84a235ec5ea7f41d0548746653ecab0559add658a83502d1cb21b",
    23: "3063a0bd81d68711197c8820a92466d51aeac93e915f5136d74f63c394ee6d88"
    "c5e8016231ea6580bec02e25d491f319d92e77f5c7f46a9caa8f3b53c0ea544f",
    24: "fa404d140d5819d39984833ca5ec3632cd4995f81e82db402371a4de7c2eae86"
    "87c62bc632a95b0c6aadba3fb02680a94e09174b7233ccd26d78baca2647c733",
    25: "0377d860cdb09a8a31ea1b0b8c04335614c8206357181573bf294c25d5ca7dff"
    "72387224fbd868897e6769f7805b3dab02854aec6d69d7492883b5e4e5f35eeb",
    26: "418dee4a74b9592198bd8fd02ad1aea76f9cf3085f206dfd7d594c9e264ae919"
    "611b1459a1cc920c2f143417744ba9edd7b8d51e44be9452344a225ff7eead19",
    27: "10ffd99837c512ef99752436a54b9810d1ac8878d368fb4b806267bdd664b4ab"
    "f276c9cd3c4b9039a1fa4315a0c326c0e8e9e8fe0eb588ffd4f9021bf7eae1a1",
    28: "55c77ce8562366c91e7cda394cf7b7c15a06c12d8c905e8b36ba9cf5e13eb37d"
    "1a429c589e8eaba4c591bc4b88a0e2828745a53e170eac300236f5c1a326f41a",
}

DEVELOPMENT_WARNING = (
    "this build uses a DEVELOPMENT powers of tau: its maker could have kept the toxic waste and forge "
    "every proof. Never use it for real money. For a real deployment pass a public ceremony's prepared "
    "file, e.g. `--ptau powersOfTau28_hez_final_{power:02d}.ptau` (Perpetual Powers of Tau / Hermez, "
    "listed with its blake2b hash in the snarkjs README), and check its hash."
)

# Sizes inside a ptau contributions section (snarkjs src/powersoftau_utils.js, readContribution):
# five points (tauG1, tauG2, alphaG1, betaG1, betaG2), three public keys (g1_s, g1_sx, g2_spx), the
# 216-byte partial hash and the 64-byte next challenge; G1 = 64 bytes, G2 = 128 bytes uncompressed.
_G1, _G2 = 64, 128
_CONTRIBUTION_FIXED = 3 * _G1 + 2 * _G2 + 3 * (2 * _G1 + _G2) + 216 + 64


class PtauError(CircuitsError):
    """A powers-of-tau file is unreadable, unprepared or unfit."""


class PtauFileError(PtauError, BadFile):
    """The file is missing, unreadable, or not a BN254 powers of tau at all (one line: path, problem, fix)."""


#: What to do about a ptau file that cannot be used at all.
_PTAU_FIX = (
    "pass a prepared .ptau file (a public ceremony's, e.g. powersOfTau28_hez_final_<power>.ptau), or leave out "
    "--ptau to make a development one"
)


class PtauTooSmall(PtauError):
    """The file's power is below what the circuit needs."""


def required_power(constraints: int, public_inputs: int) -> int:
    """The smallest ``k`` with ``2^k >= constraints + public_inputs + 1``: the ptau power a circuit needs.

    snarkjs 0.7.6, src/zkey_new.js (``groth16 setup``)::

        const cirPower = log2(r1cs.nConstraints + r1cs.nPubInputs + r1cs.nOutputs +1 -1) +1;
        if (cirPower > power) ... "circuit too big for this power of tau ceremony"

    with ``log2`` the floor (src/misc.js). The Groth16 domain holds the constraints plus one row per
    public signal and one for the constant wire. ``public_inputs`` counts public inputs and outputs.
    """
    if constraints < 0 or public_inputs < 0:
        raise ValueError("constraint and public-input counts are non-negative")
    return max(1, (constraints + public_inputs).bit_length())


@dataclass(frozen=True)
class PtauHeader:
    """What a ptau file says about itself."""

    power: int
    ceremony_power: int
    prepared: bool
    contributions: tuple[str, ...]

    @property
    def development(self) -> bool:
        return any(name.lower().startswith(DEVELOPMENT_MARK) for name in self.contributions)


def _sections(handle: BinaryIO, path: Path) -> dict[int, tuple[int, int]]:
    """The section table of an iden3 binary file: type -> (offset, size)."""
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"ptau":
        raise PtauFileError(path, "not a powers-of-tau file (no 'ptau' magic)", _PTAU_FIX)
    (count,) = struct.unpack_from("<I", head, 8)
    table: dict[int, tuple[int, int]] = {}
    for _ in range(count):
        kind, size = struct.unpack("<IQ", handle.read(12))
        table[kind] = (handle.tell(), size)
        handle.seek(size, os.SEEK_CUR)
    return table


def _contribution_names(data: bytes) -> tuple[str, ...]:
    """The names in a contributions section (``<unnamed>`` for a contribution without one)."""
    (count,) = struct.unpack_from("<I", data, 0)
    pos, names = 4, []
    for _ in range(count):
        pos += _CONTRIBUTION_FIXED + 4  # fixed part, then the contribution type
        (length,) = struct.unpack_from("<I", data, pos)
        params, pos = data[pos + 4 : pos + 4 + length], pos + 4 + length
        name, i = "<unnamed>", 0
        while i < len(params):
            kind = params[i]
            if kind == 1:  # name: length byte + utf-8
                name = params[i + 2 : i + 2 + params[i + 1]].decode("utf-8", "replace")
                i += 2 + params[i + 1]
            elif kind == 2:  # beacon iterations: one byte
                i += 2
            elif kind == 3:  # beacon hash: length byte + bytes
                i += 2 + params[i + 1]
            else:
                raise ValueError(f"unknown contribution parameter {kind}")
        names.append(name)
    if pos != len(data):
        raise ValueError("contributions section has trailing bytes")
    return tuple(names)


def read_ptau_header(path: Path) -> PtauHeader:
    """Read the power, whether ``prepare phase2`` ran, and the contribution names, without snarkjs."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            table = _sections(handle, path)
            if 1 not in table:
                raise PtauFileError(path, "the powers-of-tau file has no header section", _PTAU_FIX)
            handle.seek(table[1][0])
            (n8,) = struct.unpack("<I", handle.read(4))
            prime = int.from_bytes(handle.read(n8), "little")
            power, ceremony_power = struct.unpack("<II", handle.read(8))
            names: tuple[str, ...] = ()
            if 7 in table:
                handle.seek(table[7][0])
                names = _contribution_names(handle.read(table[7][1]))
    except OSError as exc:
        raise PtauFileError(path, f"the powers-of-tau file {describe_os_error(exc)}", _PTAU_FIX) from None
    except (struct.error, ValueError, IndexError) as exc:
        raise PtauFileError(path, f"the powers-of-tau file is damaged or truncated ({exc})", _PTAU_FIX) from None
    if prime != BN254_Q:
        raise PtauFileError(path, "not a BN254 (bn128) powers of tau (SettleFL's circuits are over BN254)", _PTAU_FIX)
    return PtauHeader(power, ceremony_power, prepared=12 in table, contributions=names)


def file_hashes(path: Path) -> tuple[str, str]:
    """sha256 (recorded in manifests) and blake2b-512 (how the Hermez files are published), one pass."""
    sha, blake = hashlib.sha256(), hashlib.blake2b()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
            blake.update(chunk)
    return sha.hexdigest(), blake.hexdigest()


@dataclass(frozen=True)
class ResolvedPtau:
    """A ptau chosen for a build, with what the manifest records about it."""

    path: Path
    power: int
    sha256: str
    origin: Literal["development", "supplied"]
    note: str

    @property
    def development(self) -> bool:
        return self.origin == "development"


def check_ptau(path: Path, needed: int) -> PtauHeader:
    """Refuse a file that snarkjs would refuse later, with a message saying what to use instead."""
    header = read_ptau_header(path)
    if not header.prepared:
        raise PtauError(
            f"{path} is not prepared for phase 2: run `snarkjs powersoftau prepare phase2 {path} <out.ptau>` "
            "or take a prepared file (the Hermez files are prepared)"
        )
    if header.power < needed:
        raise PtauTooSmall(
            f"{path} holds 2^{header.power} powers but this build needs 2^{needed} (power {needed}): pass a "
            f"prepared file of power {needed} or more, e.g. the public ceremony file "
            f"powersOfTau28_hez_final_{needed:02d}.ptau (Perpetual Powers of Tau / Hermez; check its blake2b "
            "hash against the snarkjs README), or leave out --ptau to make a development file"
        )
    return header


def describe_supplied(path: Path, needed: int) -> ResolvedPtau:
    """Check a user's file and label it: development if its contributions say so, else supplied."""
    header = check_ptau(path, needed)
    sha256, blake = file_hashes(path)
    names = ", ".join(header.contributions) or "none recorded"
    if header.development:
        return ResolvedPtau(
            Path(path), header.power, sha256, "development",
            f"development file (contributions: {names}); not fit for real money",
        )
    if HERMEZ_BLAKE2B.get(header.power) == blake:
        note = (
            f"public ceremony file powersOfTau28_hez_final_{header.power:02d}.ptau (Perpetual Powers of Tau / "
            "Hermez): its blake2b-512 matches the snarkjs README"
        )
    else:
        note = (
            f"supplied by the user ({len(header.contributions)} contributions); not a file this tool "
            "recognises: check its hash against the ceremony's published one"
        )
    return ResolvedPtau(Path(path), header.power, sha256, "supplied", note)


def default_cache_dir() -> Path:
    """The settings' ``ptau_cache`` (``<SETTLEFL_CACHE>/ptau``): development files take minutes, so they are kept."""
    return settings().ptau_cache


def development_file(cache_dir: Path, power: int) -> Path:
    return Path(cache_dir) / f"settlefl_dev_pot{power:02d}.ptau"


def cached_development_ptau(cache_dir: Path, needed: int) -> Path | None:
    """The smallest cached development file that is large enough, if any (a larger one works as is)."""
    for power in range(needed, 29):
        candidate = development_file(cache_dir, power)
        if candidate.exists():
            return candidate
    return None


def make_development_ptau(power: int, cache_dir: Path, toolchain: Toolchain) -> Path:
    """Make a prepared development file of ``power``: new, one contribution, a random beacon, phase 2.

    The contribution's entropy comes from the OS (snarkjs mixes in 64 more random bytes) and reaches
    snarkjs on stdin, never the command line. ``prepare phase2`` dominates: the whole file took 6.3
    minutes at 2^13 on a 2-core machine, and 2^17 takes about an hour, so the result is cached. Written
    under a temporary name and renamed, so an interrupted run leaves no half-made file behind.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    final = development_file(cache_dir, power)
    log.warning("making a development powers of tau of power %d in %s (slow: minutes from 2^13 up)", power, final)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".making-") as tmp:
        work = Path(tmp)
        toolchain.snarkjs(["powersoftau", "new", "bn128", str(power), work / "0.ptau"])
        toolchain.snarkjs(
            ["powersoftau", "contribute", work / "0.ptau", work / "1.ptau", f"--name={DEVELOPMENT_MARK} contribution"],
            stdin=secrets.token_hex(32) + "\n",
        )
        toolchain.snarkjs([
            "powersoftau", "beacon", work / "1.ptau", work / "2.ptau", secrets.token_hex(32),
            str(BEACON_ITERATIONS_EXP), f"--name={DEVELOPMENT_MARK} beacon",
        ])
        toolchain.snarkjs(["powersoftau", "prepare", "phase2", work / "2.ptau", work / "final.ptau"])
        os.replace(work / "final.ptau", final)
    log.warning("made %s in %.0f s", final, time.monotonic() - started)
    return final


def truncate(source: Path, out_dir: Path, toolchain: Toolchain) -> dict[int, Path]:
    """Write prepared files for every power below ``source``'s into ``out_dir`` (seconds, not hours).

    ``powersoftau truncate`` writes next to its input, so the input is linked into ``out_dir`` first
    (the source may sit in a read-only directory and is never copied).
    """
    source = Path(source).resolve()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    link = out_dir / source.name
    if link.resolve() != source:
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source)
    toolchain.snarkjs(["powersoftau", "truncate", link])
    stem = link.name.rsplit(".", 1)[0]
    return {int(p.stem.rsplit("_", 1)[1]): p for p in out_dir.glob(f"{stem}_[0-9][0-9].ptau")}


def resolve_ptau(
    needed: int, supplied: Path | None, toolchain: Toolchain, cache_dir: Path | None = None
) -> ResolvedPtau:
    """The ptau for a build needing power ``needed``: the user's file, else a cached or new development one."""
    if supplied is not None:
        return describe_supplied(Path(supplied), needed)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cached_development_ptau(cache, needed) or make_development_ptau(needed, cache, toolchain)
    return describe_supplied(path, needed)

