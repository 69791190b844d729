"""The Groth16 build pipeline: ptau sizing and origin, setup with contributions, gamma != delta, verify.

Real circom2 and snarkjs throughout. A real SettleFL build needs a 2^13 ptau whose preparation takes
minutes, so these tests run the real build code on a stand-in circuit (fixtures/tiny/receipt.circom,
the Receipt template's interface with 60 constraints) and a power-7 development ptau made at test time.
They never read the shared development ptau. The committed test build is checked only by hashes and
verification keys (cheap); `settlefl circuits verify` does the full check.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import get_args

import groth16py
import pytest
from typer.testing import CliRunner

from settlefl.circuits.build import (
    BuildError,
    InsecureSetup,
    VerificationFailed,
    build,
    check_files,
    check_verification_key,
    compile_circuit,
    contribute,
    export_verification_key,
    materialize,
    normalise_beacon,
    read_r1cs_info,
    verify,
)
from settlefl.circuits.manifest import ArtifactKind, Manifest, sha256_file
from settlefl.circuits.ptau import (
    PtauError,
    PtauTooSmall,
    describe_supplied,
    make_development_ptau,
    read_ptau_header,
    required_power,
    truncate,
)
from settlefl.circuits.spec import SPECS, Circuit
from settlefl.circuits.toolchain import CommandFailed, Toolchain
from settlefl.params import BuildParams
from settlefl_node.cli import app

ROOT = Path(__file__).resolve().parents[2]
TINY = Path(__file__).parent / "fixtures" / "tiny"
TINY_PARAMS = BuildParams(16, 16, 32, 1)  # the stand-in Receipt takes no template arguments
TINY_POWER = 7
COMMITTED = ROOT / "circuits" / "builds" / "n32_b16_k32_j4"

# An honest witness of the stand-in: C = domain * secret + r, pubHash = secret^2, rs = sender + 2^160 r.
SECRET, DOMAIN, ROUND, SENDER = 12345, 7, 3, 2
TINY_INPUT = {
    "C": DOMAIN * SECRET + ROUND, "domain": DOMAIN, "pubHash": SECRET**2, "rs": SENDER + (ROUND << 160),
    "r": ROUND, "sender": SENDER, "secret": SECRET,
}


@pytest.fixture(scope="session")
def toolchain() -> Toolchain:
    return Toolchain()


@pytest.fixture(scope="session")
def dev_ptau(toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_development_ptau(TINY_POWER, tmp_path_factory.mktemp("ptau-cache"), toolchain)


@pytest.fixture(scope="session")
def small_ptaus(dev_ptau: Path, toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    return truncate(dev_ptau, tmp_path_factory.mktemp("truncated"), toolchain)


@pytest.fixture(scope="session")
def tiny_r1cs(toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny-compiled")
    main = out / "main.circom"
    main.write_text(SPECS[Circuit.RECEIPT].main_source(TINY_PARAMS))
    r1cs, _ = compile_circuit(main, out, "tiny", toolchain, [TINY])
    return r1cs


@pytest.fixture(scope="session")
def tiny_build(toolchain: Toolchain, dev_ptau: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir, _ = build(
        TINY_PARAMS, tmp_path_factory.mktemp("builds"), dev_ptau, only=[Circuit.RECEIPT], circuits_dir=TINY,
        toolchain=toolchain,
    )
    return build_dir


@pytest.fixture()
def build_copy(tiny_build: Path, tmp_path: Path) -> Path:
    """A private copy for tests that change the build."""
    return Path(shutil.copytree(tiny_build, tmp_path / tiny_build.name))


def vkey_of(build_dir: Path) -> dict[str, object]:
    manifest = Manifest.load(build_dir)
    return dict(json.loads(manifest.path(build_dir, Circuit.RECEIPT, "vkey").read_text()))


# --- ptau ---------------------------------------------------------------------------------------------


def test_the_required_power_is_the_smallest_domain_that_holds_constraints_public_inputs_and_one() -> None:
    assert required_power(60, 4) == 7  # 64 rows + the constant wire do not fit 2^6
    assert required_power(59, 4) == 6
    assert required_power(6703, 4) == 13
    assert required_power(2**17 - 10, 9) == 17
    assert required_power(2**17 - 9, 9) == 18
    assert required_power(0, 1) == 1


@pytest.mark.slow
def test_snarkjs_refuses_the_power_below_the_required_one_and_accepts_the_required_one(
    toolchain: Toolchain, tiny_r1cs: Path, small_ptaus: dict[int, Path], dev_ptau: Path, tmp_path: Path
) -> None:
    info = read_r1cs_info(tiny_r1cs)
    assert (info.constraints, info.public_inputs, info.power) == (60, 4, TINY_POWER)
    # snarkjs logs this refusal but exits 0; the toolchain still reports it as a failure.
    with pytest.raises(CommandFailed, match="circuit too big"):
        toolchain.snarkjs(["groth16", "setup", tiny_r1cs, small_ptaus[TINY_POWER - 1], tmp_path / "a.zkey"])
    toolchain.snarkjs(["groth16", "setup", tiny_r1cs, dev_ptau, tmp_path / "b.zkey"])


@pytest.mark.slow
def test_a_too_small_ptau_is_refused_naming_the_power_needed(small_ptaus: dict[int, Path], tmp_path: Path) -> None:
    with pytest.raises(PtauTooSmall, match=f"power {TINY_POWER}") as refused:
        build(TINY_PARAMS, tmp_path, small_ptaus[5], only=[Circuit.RECEIPT], circuits_dir=TINY)
    assert "powersOfTau28_hez_final_07.ptau" in str(refused.value)
    assert not any(tmp_path.iterdir()), "a refused build left files behind"


def test_a_missing_ptau_is_reported_before_anything_is_compiled(tmp_path: Path) -> None:
    with pytest.raises(PtauError, match="missing.ptau"):
        build(TINY_PARAMS, tmp_path / "out", tmp_path / "missing.ptau", only=[Circuit.RECEIPT], circuits_dir=TINY)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_ptau_not_prepared_for_phase2_is_refused(toolchain: Toolchain, tmp_path: Path) -> None:
    raw = tmp_path / "raw.ptau"
    toolchain.snarkjs(["powersoftau", "new", "bn128", "4", raw])
    assert not read_ptau_header(raw).prepared
    with pytest.raises(PtauError, match="not prepared for phase 2"):
        describe_supplied(raw, 4)


@pytest.mark.slow
def test_a_development_ptau_and_its_truncations_are_labelled_development(
    dev_ptau: Path, small_ptaus: dict[int, Path]
) -> None:
    assert sorted(small_ptaus) == list(range(1, TINY_POWER))
    for path in (dev_ptau, small_ptaus[5]):
        resolved = describe_supplied(path, 1)
        assert resolved.origin == "development" and resolved.development
        assert "not fit for real money" in resolved.note
    assert read_ptau_header(small_ptaus[5]).power == 5


# --- setup and the gamma/delta guard ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_setup_without_a_phase2_contribution_is_refused(
    toolchain: Toolchain, tiny_r1cs: Path, dev_ptau: Path, tmp_path: Path
) -> None:
    zkey, vkey = tmp_path / "bare.zkey", tmp_path / "bare.vkey.json"
    toolchain.snarkjs(["groth16", "setup", tiny_r1cs, dev_ptau, zkey])
    with pytest.raises(InsecureSetup, match="vk_gamma_2 equals vk_delta_2"):
        export_verification_key(zkey, vkey, toolchain)
    assert not vkey.exists(), "an insecure verification key was left on disk"


def test_check_verification_key_compares_gamma_with_delta() -> None:
    g2 = [["1", "2"], ["3", "4"], ["1", "0"]]
    with pytest.raises(InsecureSetup):
        check_verification_key({"vk_gamma_2": g2, "vk_delta_2": [list(p) for p in g2]})
    check_verification_key({"vk_gamma_2": g2, "vk_delta_2": [["5", "6"], ["7", "8"], ["1", "0"]]})


@pytest.mark.slow
def test_a_build_has_distinct_gamma_and_delta_and_its_proofs_verify(
    toolchain: Toolchain, tiny_build: Path, tmp_path: Path
) -> None:
    manifest = Manifest.load(tiny_build)
    entry = manifest.circuits[Circuit.RECEIPT]
    assert entry.gamma_differs_from_delta
    assert [(c.name, c.kind) for c in entry.contributions] == [("settlefl build", "contribution"), ("beacon", "beacon")]
    assert all(len(c.hash.split()) == 16 for c in entry.contributions)
    vkey = vkey_of(tiny_build)
    assert vkey["vk_gamma_2"] != vkey["vk_delta_2"]
    assert manifest.development and manifest.ptau.origin == "development" and manifest.ptau.power == TINY_POWER

    wasm, zkey, vkey_path = (manifest.path(tiny_build, Circuit.RECEIPT, k) for k in ("wasm", "zkey", "vkey"))
    (tmp_path / "input.json").write_text(json.dumps({k: str(v) for k, v in TINY_INPUT.items()}))
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    toolchain.snarkjs(["groth16", "fullprove", tmp_path / "input.json", wasm, zkey, proof, public])
    assert "OK" in toolchain.snarkjs(["groth16", "verify", vkey_path, public, proof])

    # groth16py imports the same zkey and its proofs verify under the same key; wrong inputs do not.
    wtns = tmp_path / "w.wtns"
    toolchain.snarkjs(["wtns", "calculate", wasm, tmp_path / "input.json", wtns])
    proving_key, _ = groth16py.import_zkey(str(zkey))
    blob = groth16py.prove_wtns(proving_key, str(wtns))
    verifier = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs_file(str(vkey_path)))
    signals = [int(s) for s in json.loads(public.read_text())]
    assert signals == [TINY_INPUT[name] for name in entry.public_inputs]
    assert verifier.verify(blob, signals)
    assert not verifier.verify(blob, [signals[0] + 1, *signals[1:]])


@pytest.mark.slow
def test_the_verifier_contract_is_named_after_the_template_and_the_build(tiny_build: Path) -> None:
    manifest = Manifest.load(tiny_build)
    source = manifest.path(tiny_build, Circuit.RECEIPT, "verifier").read_text()
    assert manifest.circuits[Circuit.RECEIPT].verifier_contract == "ReceiptVerifier_n16_b16_k32_j1"
    assert "contract ReceiptVerifier_n16_b16_k32_j1 {" in source
    assert "Groth16Verifier" not in source


@pytest.mark.slow
def test_a_build_keeps_no_intermediate_zkeys_or_symbol_files(tiny_build: Path) -> None:
    manifest = Manifest.load(tiny_build)
    listed = {f.path for e in manifest.circuits.values() for f in e.files.values()} | {"manifest.json"}
    present = {str(p.relative_to(tiny_build)) for p in tiny_build.rglob("*") if p.is_file()}
    assert present == listed


def test_an_existing_build_directory_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / TINY_PARAMS.name).mkdir()
    with pytest.raises(BuildError, match="already exists"):
        build(TINY_PARAMS, tmp_path, None, only=[Circuit.RECEIPT], circuits_dir=TINY)


def test_a_beacon_is_whole_bytes_of_hex() -> None:
    assert normalise_beacon("0xAB01") == "ab01"
    for bad in ("", "abc", "xyz1", "00" * 256):
        with pytest.raises(ValueError, match="beacon"):
            normalise_beacon(bad)


# --- contribute and verify -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_contribution_is_recorded_and_changes_delta_but_not_gamma(build_copy: Path, dev_ptau: Path) -> None:
    before = vkey_of(build_copy)
    manifest = contribute(build_copy, "alice")
    contributions = manifest.circuits[Circuit.RECEIPT].contributions
    assert [c.name for c in contributions] == ["settlefl build", "beacon", "alice"]
    after = vkey_of(build_copy)
    assert after["vk_delta_2"] != before["vk_delta_2"]
    assert after["vk_gamma_2"] == before["vk_gamma_2"]
    verify(build_copy, dev_ptau, circuits_dir=TINY)  # the manifest, files and zkey agree after the contribution
    verifier = manifest.path(build_copy, Circuit.RECEIPT, "verifier").read_text()
    assert "contract ReceiptVerifier_n16_b16_k32_j1 {" in verifier


@pytest.mark.slow
def test_verify_passes_on_a_good_build(tiny_build: Path, dev_ptau: Path) -> None:
    manifest = verify(tiny_build, dev_ptau, circuits_dir=TINY)
    assert manifest.build == TINY_PARAMS.name


@pytest.mark.slow
@pytest.mark.parametrize("kind", get_args(ArtifactKind))
def test_verify_fails_naming_the_file_when_one_is_altered(build_copy: Path, dev_ptau: Path, kind: ArtifactKind) -> None:
    path = Manifest.load(build_copy).path(build_copy, Circuit.RECEIPT, kind)
    with open(path, "ab") as handle:
        handle.write(b"\n")
    with pytest.raises(VerificationFailed, match=path.name):
        verify(build_copy, dev_ptau, circuits_dir=TINY)


@pytest.mark.slow
def test_verify_catches_a_verification_key_that_the_manifest_was_changed_to_match(
    build_copy: Path, dev_ptau: Path
) -> None:
    manifest = Manifest.load(build_copy)
    entry = manifest.circuits[Circuit.RECEIPT]
    vkey_path = manifest.path(build_copy, Circuit.RECEIPT, "vkey")
    forged = json.loads(vkey_path.read_text())
    forged["vk_delta_2"] = forged["vk_gamma_2"]  # the forgeable key of the reference build
    vkey_path.write_text(json.dumps(forged))
    entry.files["vkey"].sha256 = sha256_file(vkey_path)
    manifest.save(build_copy)
    with pytest.raises(VerificationFailed, match="receipt.vkey.json"):
        verify(build_copy, dev_ptau, circuits_dir=TINY)


@pytest.mark.slow
def test_verify_catches_circuit_files_that_do_not_come_from_the_sources(
    build_copy: Path, dev_ptau: Path, tmp_path: Path
) -> None:
    # The same stand-in with one more range bit: a different circuit, its manifest hash made to match.
    other = tmp_path / "other"
    other.mkdir()
    (other / "receipt.circom").write_text((TINY / "receipt.circom").read_text().replace("Num2Bits(56)", "Num2Bits(57)"))
    with pytest.raises(VerificationFailed, match="receipt.r1cs is not what"):
        verify(build_copy, dev_ptau, circuits_dir=other)


@pytest.mark.slow
def test_materialize_recompiles_a_build_committed_without_r1cs_and_wasm(build_copy: Path) -> None:
    manifest = Manifest.load(build_copy)
    compiled = [manifest.path(build_copy, Circuit.RECEIPT, kind) for kind in ("r1cs", "wasm")]
    for path in compiled:
        path.unlink()
    assert materialize(build_copy, circuits_dir=TINY) == [Circuit.RECEIPT]
    check_files(build_copy, manifest)  # byte for byte the files the keys were made from
    assert materialize(build_copy, circuits_dir=TINY) == []  # nothing left to do


@pytest.mark.slow
def test_materialize_refuses_sources_that_changed_after_the_build(build_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "receipt.circom").write_text((TINY / "receipt.circom").read_text().replace("Num2Bits(56)", "Num2Bits(57)"))
    Manifest.load(build_copy).path(build_copy, Circuit.RECEIPT, "r1cs").unlink()
    with pytest.raises(VerificationFailed, match="circuit sources changed after build"):
        materialize(build_copy, circuits_dir=other)


@pytest.mark.slow
def test_verify_refuses_a_ptau_too_small_for_the_build(tiny_build: Path, small_ptaus: dict[int, Path]) -> None:
    with pytest.raises(PtauTooSmall, match=f"power {TINY_POWER}"):
        verify(tiny_build, small_ptaus[TINY_POWER - 1], circuits_dir=TINY)


def test_the_cli_reports_a_missing_build_in_one_line_and_fails(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["circuits", "verify", str(tmp_path / "nothing"), "--ptau", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a SettleFL circuit build" in result.output
    assert "Traceback" not in result.output


# --- the committed test build ---------------------------------------------------------------------------


def test_the_committed_build_matches_its_manifest_and_has_distinct_gamma_and_delta() -> None:
    manifest = Manifest.load(COMMITTED)
    assert manifest.build == COMMITTED.name == BuildParams(32, 16, 32, 4).name
    assert set(manifest.circuits) == set(Circuit)
    check_files(COMMITTED, manifest)
    for circuit, entry in manifest.circuits.items():
        vkey = json.loads(manifest.path(COMMITTED, circuit, "vkey").read_text())
        check_verification_key(vkey)
        assert entry.gamma_differs_from_delta
        assert len(entry.contributions) >= 2 and entry.contributions[-1].kind in ("beacon", "contribution")
        assert vkey["nPublic"] == len(entry.public_inputs) == len(SPECS[circuit].public_inputs)
    assert manifest.development, "the committed build uses a development ptau and must say so"
