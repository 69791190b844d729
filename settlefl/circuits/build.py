"""Groth16 builds of the SettleFL circuits: compile, set up, contribute, verify.

A build (docs/protocol.md, "Setup") turns the circom sources into everything a prover and a contract need, and
a manifest that lets anyone check them. The setup is the dangerous part: whoever knows a circuit's
phase-2 toxic waste can forge its proofs, and a zkey straight out of ``groth16 setup`` has
``delta = gamma`` (no secret at all: the flaw of the protocol's published reference build). So every
build gets a contribution from fresh OS entropy and a beacon, refuses a verification key whose
``vk_gamma_2`` equals ``vk_delta_2``, and other parties can add contributions (:func:`contribute`).
:func:`verify` re-derives everything a client should not take on trust.

The per-circuit steps (:func:`compile_circuit`, :func:`setup_zkey`, :func:`export_verification_key`,
:func:`export_verifier`, :func:`zkey_contributions`) work on any circom source; :func:`build` strings
them together for the four SettleFL circuits in the layout of :mod:`settlefl.circuits.manifest`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from settlefl.circuits.manifest import (
    ArtifactKind,
    CircuitEntry,
    Contribution,
    FileEntry,
    Manifest,
    PtauInfo,
    sha256_file,
)
from settlefl.circuits.ptau import (
    BEACON_ITERATIONS_EXP,
    DEVELOPMENT_WARNING,
    check_ptau,
    file_hashes,
    required_power,
    resolve_ptau,
)
from settlefl.circuits.spec import SPECS, Circuit, CircuitSpec
from settlefl.circuits.toolchain import CircuitsError, Toolchain
from settlefl.params import BuildParams
from settlefl.settings import settings

log = logging.getLogger(__name__)

#: Name of the contribution a build makes itself.
DEFAULT_CONTRIBUTOR = "settlefl build"
BEACON_NAME = "beacon"
#: The contract name in snarkjs' Solidity template, renamed per circuit and build.
SNARKJS_CONTRACT = "Groth16Verifier"
_HASH_WORDS = re.compile(r"\b[0-9a-f]{8}\b")
# `zkey verify` prints each contribution as "contribution #i <name>:", four lines of hash words, and
# for a beacon a "Beacon generator: <hex>" line.
_VERIFIED = re.compile(
    r"contribution #(\d+) (.*):\n((?:\s*[0-9a-f]{8}(?: [0-9a-f]{8}){3}\n){4})(?:[^\n]*(Beacon generator))?"
)

Step = Callable[[str], None]


class BuildError(CircuitsError):
    """A build cannot go on (existing output, a spec that disagrees with its circuit, ...)."""


class InsecureSetup(CircuitsError):
    """A verification key whose ``vk_gamma_2`` equals ``vk_delta_2``: anyone can forge its proofs."""


class VerificationFailed(CircuitsError):
    """A build does not match its manifest, its ptau or a fresh export; the message names what differs."""


# --- r1cs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class R1csInfo:
    """The counts in an r1cs header (what ``snarkjs r1cs info`` prints, read without starting node)."""

    constraints: int
    wires: int
    public_inputs: int  # public inputs plus public outputs: both are public signals of the proof
    private_inputs: int

    @property
    def power(self) -> int:
        """The ptau power this circuit needs."""
        return required_power(self.constraints, self.public_inputs)


def read_r1cs_info(path: Path) -> R1csInfo:
    """Parse the header section of an r1cs file (iden3 binary format, section type 1)."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        if head[:4] != b"r1cs":
            raise BuildError(f"{path} is not an r1cs file")
        (count,) = struct.unpack_from("<I", head, 8)
        for _ in range(count):
            kind, size = struct.unpack("<IQ", handle.read(12))
            if kind == 1:
                (n8,) = struct.unpack("<I", handle.read(4))
                handle.seek(n8, os.SEEK_CUR)  # the prime
                wires, outputs, public, private = struct.unpack("<IIII", handle.read(16))
                _labels, constraints = struct.unpack("<QI", handle.read(12))
                return R1csInfo(constraints, wires, public + outputs, private)
            handle.seek(size, os.SEEK_CUR)
    raise BuildError(f"{path} has no r1cs header section")


# --- per-circuit steps (any circom source) -----------------------------------------------------------


def compile_circuit(
    source: Path, out_dir: Path, name: str, toolchain: Toolchain, include_dirs: Sequence[Path] = ()
) -> tuple[Path, Path]:
    """Compile ``source`` to ``out_dir/<name>.r1cs`` and ``out_dir/<name>_js/<name>.wasm``.

    Always ``--O2``: about half the constraints of the default, and groth16py panics on an r1cs made
    without it. No ``--sym`` (large, and only for debugging). circom names its outputs after the
    source; they are renamed to ``name``, and the JS helpers next to the wasm are dropped (snarkjs and
    groth16py read only the wasm). ``node_modules`` is always on the include path (circomlib).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    libs = [*include_dirs, toolchain.node_modules]
    args: list[str | Path] = [source, "--r1cs", "--wasm", "--O2", "-o", out_dir]
    for lib in libs:
        args += ["-l", Path(lib)]
    toolchain.circom(args)
    stem = Path(source).stem
    r1cs, js_dir = out_dir / f"{name}.r1cs", out_dir / f"{name}_js"
    os.replace(out_dir / f"{stem}.r1cs", r1cs)
    built_js = out_dir / f"{stem}_js"
    wasm = built_js / f"{name}.wasm"
    os.replace(built_js / f"{stem}.wasm", wasm)
    for helper in ("generate_witness.js", "witness_calculator.js"):
        (built_js / helper).unlink(missing_ok=True)
    if built_js != js_dir:
        os.replace(built_js, js_dir)
    return r1cs, js_dir / f"{name}.wasm"


def _hash_after(output: str, marker: str) -> str:
    """The 64-byte hash snarkjs prints after ``marker`` as 16 hex words, whitespace normalised."""
    at = output.rfind(marker)
    words = _HASH_WORDS.findall(output[at + len(marker) :]) if at >= 0 else []
    if len(words) < 16:
        raise CircuitsError(f"snarkjs did not print a {marker!r} line:\n{output[-2000:]}")
    return " ".join(words[:16])


def normalise_beacon(beacon: str) -> str:
    """A beacon as snarkjs takes it: hex, whole bytes, 1 to 255 of them (``0x`` allowed)."""
    value = beacon.lower().removeprefix("0x")
    if not value or len(value) % 2 or len(value) > 510 or not re.fullmatch(r"[0-9a-f]+", value):
        raise ValueError(f"beacon {beacon!r} must be 1 to 255 bytes of hex, e.g. a public block hash")
    return value


def contribute_zkey(old: Path, new: Path, name: str, toolchain: Toolchain) -> Contribution:
    """One phase-2 contribution. Entropy: 32 bytes from the OS, handed over on stdin (never in argv)."""
    output = toolchain.snarkjs(["zkey", "contribute", old, new, f"--name={name}"], stdin=secrets.token_hex(32) + "\n")
    return Contribution(name=name, hash=_hash_after(output, "Contribution Hash:"), kind="contribution")


def apply_beacon(old: Path, new: Path, beacon: str, toolchain: Toolchain) -> Contribution:
    """A beacon contribution (2^10 iterations): public randomness nobody chose ends the ceremony."""
    output = toolchain.snarkjs(
        ["zkey", "beacon", old, new, normalise_beacon(beacon), str(BEACON_ITERATIONS_EXP), f"--name={BEACON_NAME}"]
    )
    return Contribution(name=BEACON_NAME, hash=_hash_after(output, "Contribution Hash:"), kind="beacon")


def setup_zkey(
    r1cs: Path, ptau: Path, zkey: Path, toolchain: Toolchain, *, contributor: str = DEFAULT_CONTRIBUTOR,
    beacon: str | None = None,
) -> list[Contribution]:
    """Groth16 setup, one contribution, then a beacon (random unless a public one is given).

    The intermediate zkeys hold no secret but are useless and large; they are deleted either way.
    """
    check_ptau(ptau, read_r1cs_info(r1cs).power)
    initial, contributed = zkey.with_suffix(".0.zkey"), zkey.with_suffix(".1.zkey")
    try:
        toolchain.snarkjs(["groth16", "setup", r1cs, ptau, initial])
        first = contribute_zkey(initial, contributed, contributor, toolchain)
        final = apply_beacon(contributed, zkey, beacon or secrets.token_hex(32), toolchain)
    finally:
        initial.unlink(missing_ok=True)
        contributed.unlink(missing_ok=True)
    return [first, final]


def check_verification_key(vkey: Mapping[str, Any]) -> None:
    """Refuse a key with ``vk_gamma_2 == vk_delta_2``: a setup without any phase-2 contribution.

    ``groth16 setup`` starts with delta = gamma = the generator of G2, and snarkjs exports and verifies
    such a key without complaint; with it, proofs of false statements verify.
    """
    try:
        gamma, delta = vkey["vk_gamma_2"], vkey["vk_delta_2"]
    except KeyError as exc:
        raise InsecureSetup(f"the verification key has no {exc.args[0]}: it is not a Groth16 key") from exc
    if gamma == delta:
        raise InsecureSetup(
            "vk_gamma_2 equals vk_delta_2: this setup has no phase-2 contribution, so anyone can forge "
            "proofs with it. Add a contribution (snarkjs zkey contribute, or `settlefl circuits build`)."
        )


def export_verification_key(zkey: Path, out: Path, toolchain: Toolchain) -> dict[str, Any]:
    """Export the verification key and refuse it if it is insecure (the file is removed then)."""
    toolchain.snarkjs(["zkey", "export", "verificationkey", zkey, out])
    vkey: dict[str, Any] = json.loads(out.read_text())
    try:
        check_verification_key(vkey)
    except InsecureSetup:
        out.unlink()
        raise
    return vkey


def export_verifier(zkey: Path, out: Path, contract: str, toolchain: Toolchain) -> None:
    """The Solidity verifier, its contract renamed so verifiers of several circuits and builds coexist."""
    toolchain.snarkjs(["zkey", "export", "solidityverifier", zkey, out])
    source = out.read_text()
    renamed, count = re.subn(rf"\bcontract {SNARKJS_CONTRACT}\b", f"contract {contract}", source)
    if count != 1:
        raise BuildError(f"expected one `contract {SNARKJS_CONTRACT}` in the snarkjs verifier, found {count}")
    out.write_text(renamed)


def zkey_contributions(r1cs: Path, ptau: Path, zkey: Path, toolchain: Toolchain) -> list[Contribution]:
    """``snarkjs zkey verify``: the zkey follows from this r1cs and ptau; returns its contributions."""
    try:
        output = toolchain.snarkjs(["zkvr", r1cs, ptau, zkey])  # `zkey verify r1cs` mis-parses its arguments
    except CircuitsError as exc:
        raise VerificationFailed(f"{zkey} does not verify against {r1cs.name} and {ptau}: {exc}") from exc
    found = sorted((int(m[1]), m) for m in _VERIFIED.finditer(output))
    return [
        Contribution(name=m[2], hash=" ".join(_HASH_WORDS.findall(m[3])), kind="beacon" if m[4] else "contribution")
        for _, m in found
    ]


# --- whole builds -----------------------------------------------------------------------------------


def artifact_paths(spec: CircuitSpec) -> dict[ArtifactKind, str]:
    """The manifest layout of one circuit, relative to the build directory."""
    c = spec.circuit.value
    return {
        "main": f"{c}/main.circom",
        "r1cs": f"{c}/{c}.r1cs",
        "wasm": f"{c}/{c}_js/{c}.wasm",
        "zkey": f"{c}/{c}.zkey",
        "vkey": f"{c}/{c}.vkey.json",
        "verifier": f"{c}/{spec.verifier_contract}.sol",
    }


def contract_name(spec: CircuitSpec, params: BuildParams) -> str:
    return f"{spec.verifier_contract}_{params.name}"


def _file_entries(build_dir: Path, paths: Mapping[ArtifactKind, str]) -> dict[ArtifactKind, FileEntry]:
    return {kind: FileEntry(path=rel, sha256=sha256_file(build_dir / rel)) for kind, rel in paths.items()}


def _compile(
    circuit: Circuit, params: BuildParams, build_dir: Path, circuits_dir: Path, toolchain: Toolchain
) -> R1csInfo:
    spec = SPECS[circuit]
    main = build_dir / artifact_paths(spec)["main"]
    main.parent.mkdir(parents=True, exist_ok=True)
    main.write_text(spec.main_source(params))
    r1cs, _ = compile_circuit(main, main.parent, circuit.value, toolchain, [circuits_dir])
    info = read_r1cs_info(r1cs)
    if info.public_inputs != len(spec.public_inputs):
        raise BuildError(
            f"{circuit.value}: the circuit has {info.public_inputs} public inputs, the spec lists "
            f"{len(spec.public_inputs)} ({', '.join(spec.public_inputs)})"
        )
    log.info(
        "%s: %d constraints, %d wires, needs ptau power %d", circuit.value, info.constraints, info.wires, info.power
    )
    return info


def _setup(
    circuit: Circuit, params: BuildParams, build_dir: Path, info: R1csInfo, ptau: Path, toolchain: Toolchain,
    contributor: str, beacon: str,
) -> CircuitEntry:
    spec = SPECS[circuit]
    paths = artifact_paths(spec)
    zkey = build_dir / paths["zkey"]
    contributions = setup_zkey(build_dir / paths["r1cs"], ptau, zkey, toolchain, contributor=contributor, beacon=beacon)
    vkey = export_verification_key(zkey, build_dir / paths["vkey"], toolchain)
    export_verifier(zkey, build_dir / paths["verifier"], contract_name(spec, params), toolchain)
    return CircuitEntry(
        template=spec.template, args=list(spec.template_args(params)), public_inputs=list(spec.public_inputs),
        constraints=info.constraints, wires=info.wires, verifier_contract=contract_name(spec, params),
        gamma_differs_from_delta=vkey["vk_gamma_2"] != vkey["vk_delta_2"], contributions=contributions,
        files=_file_entries(build_dir, paths),
    )


def build(
    params: BuildParams, out_dir: Path, ptau: Path | None = None, *, beacon: str | None = None,
    only: Iterable[Circuit] | None = None, contributor: str = DEFAULT_CONTRIBUTOR,
    circuits_dir: Path | None = None, cache_dir: Path | None = None, toolchain: Toolchain | None = None,
    on_step: Step | None = None,
) -> tuple[Path, Manifest]:
    """Build ``<out_dir>/<params.name>/``: every circuit (or ``only`` these) compiled and set up.

    ``ptau`` is the user's prepared file; without one a development file is made (or taken from the
    cache) at the power the largest circuit needs. ``beacon`` is hex of a public random value announced
    in advance; by default it is random. ``circuits_dir`` holds the sources the specs include (default:
    the settings' ``circuits_dir``; a reviewed copy, or test stand-ins). A development ptau is not fit
    for real money: the manifest then says ``development: true`` (the CLI warns). The build happens in
    a hidden staging directory that is renamed into place at the end, so a failed or interrupted build
    never looks like a finished one.
    """
    tc = toolchain or Toolchain()
    sources = Path(circuits_dir or settings().circuits_dir)
    step = on_step or (lambda message: log.info("%s", message))
    beacon_hex = normalise_beacon(beacon) if beacon is not None else secrets.token_hex(32)
    selected = sorted(set(only), key=list(Circuit).index) if only else list(Circuit)
    if not selected:
        raise BuildError("no circuits selected")
    if ptau is not None:
        check_ptau(ptau, 1)  # unreadable or unprepared: say so before minutes of compiling
    out_dir = Path(out_dir)
    target = out_dir / params.name
    if target.exists():
        raise BuildError(f"{target} already exists: delete it or choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".{params.name}.partial-"))
    try:
        infos: dict[Circuit, R1csInfo] = {}
        for circuit in selected:
            step(f"compiling {circuit.value}")
            infos[circuit] = _compile(circuit, params, staging, sources, tc)
        needed = max(info.power for info in infos.values())
        step(f"powers of tau (power {needed})" + ("" if ptau else ": a development file, minutes if not cached"))
        resolved = resolve_ptau(needed, ptau, tc, cache_dir)
        if resolved.development:
            log.info(DEVELOPMENT_WARNING.format(power=needed))
        entries: dict[Circuit, CircuitEntry] = {}
        for circuit in selected:
            step(f"setting up {circuit.value} (groth16 setup, contribution, beacon, exports)")
            entries[circuit] = _setup(
                circuit, params, staging, infos[circuit], resolved.path, tc, contributor, beacon_hex
            )
        manifest = Manifest(
            build=params.name, participants=params.participants, batch=params.batch, row_bits=params.row_bits,
            max_joins=params.max_joins, toolchain=tc.versions(),
            ptau=PtauInfo(
                file=resolved.path.name, sha256=resolved.sha256, power=resolved.power, origin=resolved.origin,
                note=resolved.note,
            ),
            development=resolved.development, circuits=entries,
        )
        manifest.save(staging)
        os.chmod(staging, 0o755)  # mkdtemp makes it private
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target, manifest


def check_files(build_dir: Path, manifest: Manifest) -> None:
    """Every file the manifest lists exists and has the recorded sha256."""
    for entry in manifest.circuits.values():
        for file in entry.files.values():
            path = Path(build_dir) / file.path
            if not path.exists():
                raise VerificationFailed(f"{path} is missing (listed in the manifest)")
            if sha256_file(path) != file.sha256:
                raise VerificationFailed(f"{path} does not match the manifest: its sha256 differs")


def contribute(build_dir: Path, name: str, toolchain: Toolchain | None = None, on_step: Step | None = None) -> Manifest:
    """Add one phase-2 contribution to every zkey of a build; re-export vkeys and verifiers.

    One honest contribution is enough for the whole setup to be safe, so every party that will rely on
    the build (participants, auditors) can make the build trustworthy for itself. The files are checked
    against the manifest first (run :func:`verify` with the ptau for the full check); the new files
    replace the old ones only after every circuit has been contributed to.
    """
    tc = toolchain or Toolchain()
    step = on_step or (lambda message: log.info("%s", message))
    build_dir = Path(build_dir)
    manifest = Manifest.load(build_dir)
    check_files(build_dir, manifest)
    staged: list[tuple[Path, Path]] = []
    try:
        for circuit, entry in manifest.circuits.items():
            step(f"contributing to {circuit.value}")
            zkey, vkey, verifier = (manifest.path(build_dir, circuit, k) for k in ("zkey", "vkey", "verifier"))
            new = {path: path.with_name(path.name + ".new") for path in (zkey, vkey, verifier)}
            staged += [(tmp, final) for final, tmp in new.items()]
            entry.contributions.append(contribute_zkey(zkey, new[zkey], name, tc))
            export_verification_key(new[zkey], new[vkey], tc)
            export_verifier(new[zkey], new[verifier], contract_name(SPECS[circuit], manifest.params), tc)
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    for entry in manifest.circuits.values():
        entry.files = _file_entries(build_dir, {kind: f.path for kind, f in entry.files.items()})
    manifest.save(build_dir)
    return manifest


def verify(
    build_dir: Path, ptau: Path, toolchain: Toolchain | None = None, on_step: Step | None = None, *,
    circuits_dir: Path | None = None, recompile: bool = True,
) -> Manifest:
    """Check a build end to end; raise :class:`VerificationFailed` naming the first thing that differs.

    Per circuit: the files match the manifest's hashes; ``main.circom`` instantiates the template with
    the build's parameters and (``recompile``) compiles, from ``circuits_dir``, to the very r1cs and wasm
    of the build, so the keys belong to the reviewed circuits; the r1cs has the recorded counts; the zkey
    follows from that r1cs and ``ptau`` with exactly the recorded contributions (``snarkjs zkey
    verify``); the stored verification key and Solidity verifier equal fresh exports of the zkey; gamma
    differs from delta. ``ptau`` may be any prepared file of the same ceremony large enough (a
    truncation reads the same points). ``circuits_dir`` defaults to the settings' ``circuits_dir``.
    """
    tc = toolchain or Toolchain()
    sources = Path(circuits_dir or settings().circuits_dir)
    step = on_step or (lambda message: log.info("%s", message))
    build_dir = Path(build_dir)
    manifest = Manifest.load(build_dir)
    check_ptau(ptau, 1)  # a missing or unreadable file: say so before any work
    step("checking file hashes")
    check_files(build_dir, manifest)
    if file_hashes(ptau)[0] != manifest.ptau.sha256:
        log.info("%s is not the file the build used (fine if it is a truncation of the same ceremony)", ptau)
    with tempfile.TemporaryDirectory(prefix="settlefl-verify-") as tmp:
        for circuit in manifest.circuits:
            step(f"verifying {circuit.value}")
            if recompile:  # the build's r1cs and wasm are what the sources compile to for its parameters
                _compile_checked(build_dir, manifest, circuit, sources, tc, Path(tmp))
            _verify_circuit(build_dir, manifest, circuit, Path(ptau), tc, Path(tmp))
    return manifest


#: What :func:`materialize` regenerates from the circom sources: a committed build needs only its keys.
COMPILED: tuple[ArtifactKind, ...] = ("r1cs", "wasm")


def materialize(
    build_dir: Path, toolchain: Toolchain | None = None, on_step: Step | None = None, *,
    circuits_dir: Path | None = None,
) -> list[Circuit]:
    """Compile the r1cs and wasm a build lacks, and prove they are the files it was set up with.

    The repository commits a test build's keys, verification keys, verifiers and manifest, but not its
    r1cs and wasm (about half its size, and regenerated in seconds): circom is deterministic, so
    compiling ``main.circom`` against ``circuits/`` must give the manifest's hashes byte for byte. A
    mismatch means the circuit sources changed after the build was made, and the keys no longer belong
    to them. Returns the circuits it compiled (none when everything was present and matched).
    ``circuits_dir`` defaults to the settings' ``circuits_dir``.
    """
    tc = toolchain or Toolchain()
    sources = Path(circuits_dir or settings().circuits_dir)
    step = on_step or (lambda message: log.info("%s", message))
    build_dir = Path(build_dir)
    manifest = Manifest.load(build_dir)
    compiled = []
    with tempfile.TemporaryDirectory(prefix="settlefl-materialize-") as tmp:
        for circuit, entry in manifest.circuits.items():
            targets = {kind: manifest.path(build_dir, circuit, kind) for kind in COMPILED}
            if all(path.exists() and sha256_file(path) == entry.files[kind].sha256 for kind, path in targets.items()):
                continue
            step(f"compiling {circuit.value} of {manifest.build}")
            try:
                fresh = _compile_checked(build_dir, manifest, circuit, sources, tc, Path(tmp))
            except VerificationFailed as exc:
                raise VerificationFailed(
                    f"{exc}. The circuit sources changed after build {manifest.build} was made: rebuild it "
                    "(`settlefl circuits build`) and remake what depends on its keys (scripts/make_fixtures.py)"
                ) from exc
            for kind, path in targets.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(fresh[kind]), path)
            compiled.append(circuit)
    return compiled


def _compile_checked(
    build_dir: Path, manifest: Manifest, circuit: Circuit, circuits_dir: Path, tc: Toolchain, tmp: Path
) -> dict[ArtifactKind, Path]:
    """Compile ``main.circom`` afresh into ``tmp``; require the manifest's hashes; return the files."""
    spec, entry = SPECS[circuit], manifest.circuits[circuit]
    main = manifest.path(build_dir, circuit, "main")
    expected = (spec.template, list(spec.template_args(manifest.params)), list(spec.public_inputs))
    if (entry.template, entry.args, entry.public_inputs) != expected:
        raise VerificationFailed(f"the manifest's {circuit.value} entry is not {spec.template} for {manifest.build}")
    if main.read_text() != spec.main_source(manifest.params):
        raise VerificationFailed(f"{main} is not the main component of {spec.template} for build {manifest.build}")
    work = tmp / f"{circuit.value}-recompiled"
    work.mkdir()
    shutil.copy(main, work / "main.circom")
    r1cs, wasm = compile_circuit(work / "main.circom", work, circuit.value, tc, [circuits_dir])
    compiled: dict[ArtifactKind, Path] = {"r1cs": r1cs, "wasm": wasm}
    for kind, fresh in compiled.items():
        if sha256_file(fresh) != entry.files[kind].sha256:
            raise VerificationFailed(
                f"{manifest.path(build_dir, circuit, kind)} is not what {circuits_dir} compiles to (circom "
                f"{tc.circom_version} here, {manifest.toolchain.get('circom')} in the manifest)"
            )
    return compiled


def _verify_circuit(
    build_dir: Path, manifest: Manifest, circuit: Circuit, ptau: Path, tc: Toolchain, tmp: Path
) -> None:
    entry = manifest.circuits[circuit]
    r1cs, zkey, vkey, verifier = (manifest.path(build_dir, circuit, k) for k in ("r1cs", "zkey", "vkey", "verifier"))
    info = read_r1cs_info(r1cs)
    if (info.constraints, info.wires) != (entry.constraints, entry.wires):
        raise VerificationFailed(f"{r1cs}: constraint or wire count differs from the manifest")
    check_ptau(ptau, info.power)
    found = zkey_contributions(r1cs, ptau, zkey, tc)
    if found != entry.contributions:
        raise VerificationFailed(
            f"{zkey}: its contributions {[(c.name, c.hash) for c in found]} differ from the manifest's "
            f"{[(c.name, c.hash) for c in entry.contributions]}"
        )
    stored_vkey = json.loads(vkey.read_text())
    fresh_vkey = tmp / f"{circuit.value}.vkey.json"
    tc.snarkjs(["zkey", "export", "verificationkey", zkey, fresh_vkey])
    if json.loads(fresh_vkey.read_text()) != stored_vkey:
        raise VerificationFailed(f"{vkey} is not the verification key of {zkey}")
    try:
        check_verification_key(stored_vkey)
    except InsecureSetup as exc:
        raise VerificationFailed(f"{vkey}: {exc}") from exc
    expected = contract_name(SPECS[circuit], manifest.params)
    if entry.verifier_contract != expected:
        raise VerificationFailed(f"{circuit.value}: verifier contract {entry.verifier_contract}, expected {expected}")
    fresh_sol = tmp / f"{circuit.value}.sol"
    export_verifier(zkey, fresh_sol, expected, tc)
    if fresh_sol.read_text() != verifier.read_text():
        raise VerificationFailed(f"{verifier} is not the verifier exported from {zkey}")
